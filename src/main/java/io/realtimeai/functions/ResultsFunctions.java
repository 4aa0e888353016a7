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
import io.realtimeai.scoring.ResultStore;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The persisted results of DESIGN §4: one result document, and the result index of a service, paged. */
public final class ResultsFunctions {
  /** {@code GET /api/results/{service}/{path}}: the document of an image ({@code http/{id}} for an HTTP call). */
  @FunctionName("GetResult")
  public HttpResponseMessage get(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "results/{service}/{*path}",
          authLevel = AuthorizationLevel.FUNCTION) HttpRequestMessage<Optional<String>> request,
      @BindingName("service") String service,
      @BindingName("path") String path,
      ExecutionContext context) {
    return Http.handle(request, context, () -> {
      if (path == null || path.isBlank()) {
        throw new BadRequestException("path: required, as in /api/results/{service}/{path} (http/{id} for an HTTP call)");
      }
      return Http.json(request, 200, App.get().results().get(service, path));
    });
  }

  /** {@code GET /api/results?service=&since=&top=&continuation=}: a service's results, by path, paged. */
  @FunctionName("ListResults")
  public HttpResponseMessage list(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "results",
          authLevel = AuthorizationLevel.FUNCTION) HttpRequestMessage<Optional<String>> request,
      ExecutionContext context) {
    return Http.handle(request, context, () -> {
      Map<String, String> query = request.getQueryParameters();
      String service = query.get("service");
      if (service == null || service.isBlank()) {
        throw new BadRequestException("service: required, the name of the service whose results to list (?service=…)");
      }
      String since = query.get("since");
      Instant from = since == null || since.isBlank() ? null : instant(since);
      int top = Http.intParameter(request, "top", 100, 1, 1000);
      ResultStore.Page page = App.get().results().list(service.strip(), from, top,
          query.get("continuation") == null || query.get("continuation").isBlank() ? null : query.get("continuation"));
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("value", page.value());
      body.put("nextLink", page.continuation() == null ? null : "/api/results?service=" + encode(service.strip())
          + (from == null ? "" : "&since=" + encode(from.toString())) + "&top=" + top
          + "&continuation=" + encode(page.continuation()));
      return Http.json(request, 200, body);
    });
  }

  private static Instant instant(String value) {
    try {
      // A '+' of an offset sent unencoded arrives as a space; an instant never holds one.
      return OffsetDateTime.parse(value.strip().replace(' ', '+')).toInstant();
    } catch (DateTimeParseException e) {
      throw new BadRequestException("since: '" + value + "' is not an ISO-8601 instant such as 2025-01-31T12:00:00Z", e);
    }
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
