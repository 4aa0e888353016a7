package io.realtimeai.functions;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatusType;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import io.realtimeai.app.App;
import io.realtimeai.deployment.Deployments;
import io.realtimeai.deployment.ServiceRequests;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The service API of DESIGN §4, the Brainwave deployment calls: create, read, change and delete
 * scoring services, and their keys. Calls that change a service answer {@code 202 Accepted} with
 * an {@code Operation-Location} to poll.
 */
public final class ServicesFunctions {
  /** {@code POST /api/services}. */
  @FunctionName("CreateService")
  public HttpResponseMessage create(
      @HttpTrigger(name = "request", methods = {HttpMethod.POST}, route = "services",
          authLevel = AuthorizationLevel.FUNCTION) HttpRequestMessage<Optional<String>> request,
      ExecutionContext context) {
    return Http.handle(request, context,
        () -> accepted(request, App.get().deployments().create(Http.body(request, ServiceRequests.Create.class))));
  }

  /** {@code GET /api/services?top=&continuation=}. */
  @FunctionName("ListServices")
  public HttpResponseMessage list(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "services",
          authLevel = AuthorizationLevel.FUNCTION) HttpRequestMessage<Optional<String>> request,
      ExecutionContext context) {
    return Http.handle(request, context, () -> {
      int top = Http.intParameter(request, "top", 50, 1, 1000);
      Deployments.ServicePage page = App.get().deployments().list(top, request.getQueryParameters().get("continuation"));
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("value", page.value());
      body.put("nextLink", page.continuation() == null ? null
          : "/api/services?top=" + top + "&continuation=" + URLEncoder.encode(page.continuation(), StandardCharsets.UTF_8));
      return Http.json(request, 200, body);
    });
  }

  /** {@code GET /api/services/{id}}: by id or name. */
  @FunctionName("GetService")
  public HttpResponseMessage get(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "services/{id}",
          authLevel = AuthorizationLevel.FUNCTION) HttpRequestMessage<Optional<String>> request,
      @BindingName("id") String id,
      ExecutionContext context) {
    return Http.handle(request, context, () -> Http.json(request, 200, App.get().deployments().get(id)));
  }

  /** {@code PUT /api/services/{id}} {@code {modelId, numReplicas}}. */
  @FunctionName("UpdateService")
  public HttpResponseMessage update(
      @HttpTrigger(name = "request", methods = {HttpMethod.PUT}, route = "services/{id}",
          authLevel = AuthorizationLevel.FUNCTION) HttpRequestMessage<Optional<String>> request,
      @BindingName("id") String id,
      ExecutionContext context) {
    return Http.handle(request, context,
        () -> accepted(request, App.get().deployments().update(id, Http.body(request, ServiceRequests.Update.class))));
  }

  /** {@code DELETE /api/services/{id}}. */
  @FunctionName("DeleteService")
  public HttpResponseMessage delete(
      @HttpTrigger(name = "request", methods = {HttpMethod.DELETE}, route = "services/{id}",
          authLevel = AuthorizationLevel.FUNCTION) HttpRequestMessage<Optional<String>> request,
      @BindingName("id") String id,
      ExecutionContext context) {
    return Http.handle(request, context, () -> accepted(request, App.get().deployments().delete(id)));
  }

  /** {@code GET /api/services/{id}/keys}. */
  @FunctionName("GetServiceKeys")
  public HttpResponseMessage keys(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "services/{id}/keys",
          authLevel = AuthorizationLevel.FUNCTION) HttpRequestMessage<Optional<String>> request,
      @BindingName("id") String id,
      ExecutionContext context) {
    return Http.handle(request, context, () -> Http.json(request, 200, App.get().deployments().keys(id)));
  }

  /** {@code POST /api/services/{id}/regenerateKeys} {@code {keyType: Primary|Secondary}}. */
  @FunctionName("RegenerateServiceKeys")
  public HttpResponseMessage regenerateKeys(
      @HttpTrigger(name = "request", methods = {HttpMethod.POST}, route = "services/{id}/regenerateKeys",
          authLevel = AuthorizationLevel.FUNCTION) HttpRequestMessage<Optional<String>> request,
      @BindingName("id") String id,
      ExecutionContext context) {
    return Http.handle(request, context, () -> Http.json(request, 200,
        App.get().deployments().regenerateKeys(id, Http.body(request, ServiceRequests.RegenerateKeys.class))));
  }

  private static HttpResponseMessage accepted(HttpRequestMessage<?> request, Deployments.Accepted accepted) {
    long retryAfter = Math.max(1, App.get().deployments().settings().retryAfter().toSeconds());
    try {
      return request.createResponseBuilder(HttpStatusType.custom(202))
          .header("Content-Type", "application/json; charset=utf-8")
          .header("Operation-Location", "/api/operations/" + accepted.operation().id())
          .header("Location", accepted.operation().resourceLocation())
          .header("Retry-After", Long.toString(retryAfter))
          .body(Http.JSON.writeValueAsString(accepted.operation()))
          .build();
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
