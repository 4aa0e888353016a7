package io.realtimeai.functions;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatusType;
import io.realtimeai.error.RealtimeAiException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Level;

/**
 * How functions answer over HTTP: JSON bodies, and the one mapper from the error vocabulary to
 * {@code {"error": {"code", "message", "details"}}} with the right status.
 */
public final class Http {
  /** The JSON the API speaks: ISO-8601 instants, no failure on empty beans. */
  public static final ObjectMapper JSON = JsonMapper.builder()
      .addModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
      .build();

  private Http() {}

  /** A JSON response. */
  public static HttpResponseMessage json(HttpRequestMessage<?> request, int status, Object body) {
    try {
      return jsonText(request, status, JSON.writeValueAsString(body));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot write the response as JSON", e);
    }
  }

  /** A response whose body is JSON text already. */
  public static HttpResponseMessage jsonText(HttpRequestMessage<?> request, int status, String json) {
    return request.createResponseBuilder(HttpStatusType.custom(status))
        .header("Content-Type", "application/json; charset=utf-8")
        .body(json)
        .build();
  }

  /** The error body and status of a failure the user can act on. */
  public static HttpResponseMessage error(HttpRequestMessage<?> request, RealtimeAiException e) {
    return json(request, e.httpStatus(), errorBody(e.code(), e.getMessage(), e.details()));
  }

  /** {@code {"error": {"code", "message", "details"}}}. */
  public static Map<String, Object> errorBody(String code, String message, List<String> details) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("code", code);
    error.put("message", message);
    error.put("details", details);
    return Map.of("error", error);
  }

  /**
   * Runs a function's work and maps its failures: the error vocabulary to its status, anything
   * else to a logged 500 that names the invocation.
   */
  public static HttpResponseMessage handle(HttpRequestMessage<?> request, ExecutionContext context,
      Supplier<HttpResponseMessage> work) {
    try {
      return work.get();
    } catch (RealtimeAiException e) {
      return error(request, e);
    } catch (RuntimeException e) {
      context.getLogger().log(Level.SEVERE, "failed: " + e, e);
      return json(request, 500, errorBody("InternalServerError", "the request failed: " + e.getMessage(),
          List.of("invocation " + context.getInvocationId())));
    }
  }
}
