package io.realtimeai.functions;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import io.realtimeai.app.App;
import io.realtimeai.error.BadRequestException;
import io.realtimeai.registry.ModelPage;
import io.realtimeai.registry.ModelRecord;
import io.realtimeai.registry.RegisterModelRequest;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The model management API of DESIGN §4: register, list, read, change and delete model versions. */
public final class ModelsFunctions {
  /** The body of {@code PATCH /api/models/{id}}: what may change after registration. */
  public record ModelChanges(String description, Map<String, String> tags) {}

  /** {@code POST /api/models}: registers a package in storage ({@code blobPath}) or at a {@code url}. */
  @FunctionName("RegisterModel")
  public HttpResponseMessage register(
      @HttpTrigger(name = "request", methods = {HttpMethod.POST}, route = "models",
          authLevel = AuthorizationLevel.FUNCTION) HttpRequestMessage<Optional<String>> request,
      ExecutionContext context) {
    return Http.handle(request, context, () -> {
      RegisterModelRequest body = Http.body(request, RegisterModelRequest.class);
      return Http.json(request, 200, App.get().uploads().register(body, App.get().downloads()));
    });
  }

  /** {@code GET /api/models?name=&top=&continuation=}: registered versions, paged. */
  @FunctionName("ListModels")
  public HttpResponseMessage list(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "models",
          authLevel = AuthorizationLevel.FUNCTION) HttpRequestMessage<Optional<String>> request,
      ExecutionContext context) {
    return Http.handle(request, context, () -> {
      String name = request.getQueryParameters().get("name");
      int top = Http.intParameter(request, "top", 50, 1, 1000);
      ModelPage page = App.get().registry().list(name, top, request.getQueryParameters().get("continuation"));
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("value", page.value());
      body.put("nextLink", page.continuation() == null ? null : "/api/models?top=" + top
          + (name == null ? "" : "&name=" + encode(name)) + "&continuation=" + encode(page.continuation()));
      return Http.json(request, 200, body);
    });
  }

  /** {@code GET /api/models/{id}}: a version by {@code name:version}, by name and {@code ?version=}, or the latest. */
  @FunctionName("GetModel")
  public HttpResponseMessage get(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "models/{id}",
          authLevel = AuthorizationLevel.FUNCTION) HttpRequestMessage<Optional<String>> request,
      @BindingName("id") String id,
      ExecutionContext context) {
    return Http.handle(request, context, () -> Http.json(request, 200, App.get().registry().get(idWithVersion(request, id))));
  }

  /** {@code PATCH /api/models/{id}} {@code {description, tags}}. */
  @FunctionName("UpdateModel")
  public HttpResponseMessage update(
      @HttpTrigger(name = "request", methods = {HttpMethod.PATCH}, route = "models/{id}",
          authLevel = AuthorizationLevel.FUNCTION) HttpRequestMessage<Optional<String>> request,
      @BindingName("id") String id,
      ExecutionContext context) {
    return Http.handle(request, context, () -> {
      ModelChanges changes = Http.body(request, ModelChanges.class);
      if (changes.description() == null && changes.tags() == null) {
        throw new BadRequestException("body: give description and/or tags, the fields that may change");
      }
      ModelRecord updated = App.get().registry().update(idWithVersion(request, id), changes.description(), changes.tags());
      return Http.json(request, 200, updated);
    });
  }

  /** {@code DELETE /api/models/{id}}: the version and its package; 409 while a service runs it. */
  @FunctionName("DeleteModel")
  public HttpResponseMessage delete(
      @HttpTrigger(name = "request", methods = {HttpMethod.DELETE}, route = "models/{id}",
          authLevel = AuthorizationLevel.FUNCTION) HttpRequestMessage<Optional<String>> request,
      @BindingName("id") String id,
      ExecutionContext context) {
    return Http.handle(request, context, () -> {
      App.get().registry().delete(idWithVersion(request, id));
      return request.createResponseBuilder(com.microsoft.azure.functions.HttpStatus.NO_CONTENT).build();
    });
  }

  private static String idWithVersion(HttpRequestMessage<?> request, String id) {
    String version = request.getQueryParameters().get("version");
    if (version == null || version.isBlank()) {
      return id;
    }
    if (id.contains(":")) {
      throw new BadRequestException("version: give it in the id (name:version) or as ?version=, not both");
    }
    Http.intParameter(request, "version", 1, 1, Integer.MAX_VALUE);
    return id + ":" + version.strip();
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
