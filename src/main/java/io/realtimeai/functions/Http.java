package io.realtimeai.functions;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatusType;
import io.realtimeai.error.BadRequestException;
import io.realtimeai.error.RealtimeAiException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

  private static final ObjectMapper BODY = JsonMapper.builder()
      .addModule(new JavaTimeModule())
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

  /** What a 503 asks the client to wait, in seconds: the time a service's record is trusted before it is read again. */
  public static final int RETRY_AFTER_SECONDS = 2;

  private Http() {}

  /** A JSON response. */
  public static HttpResponseMessage json(HttpRequestMessage<?> request, int status, Object body) {
    try {
      return jsonText(request, status, JSON.writeValueAsString(body));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot write the response as JSON", e);
    }
  }

  /**
   * The request body as a {@code type}, or a 400 that names what is wrong: invalid JSON (with
   * line and column), an unknown field, a value of the wrong type.
   */
  public static <T> T body(HttpRequestMessage<Optional<String>> request, Class<T> type) {
    String text = request.getBody().orElse("").strip();
    if (text.isEmpty()) {
      throw new BadRequestException("body: required, a JSON object");
    }
    try {
      return BODY.readValue(text, type);
    } catch (com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException e) {
      throw new BadRequestException("body: unknown field '" + e.getPropertyName() + "'");
    } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
      String path = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
          .reduce((a, b) -> b.startsWith("[") ? a + b : a + "." + b).orElse("body");
      throw new BadRequestException(path + ": " + io.realtimeai.error.JsonMessages.readable(e.getOriginalMessage()));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new BadRequestException("body: " + io.realtimeai.error.JsonMessages.invalid(e));
    }
  }

  /** A query parameter as a whole number from {@code min} to {@code max}, or {@code fallback} when absent. */
  public static int intParameter(HttpRequestMessage<?> request, String name, int fallback, int min, int max) {
    String value = request.getQueryParameters().get(name);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      int parsed = Integer.parseInt(value.strip());
      if (parsed >= min && parsed <= max) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new BadRequestException(name + ": must be a whole number from " + min + " to " + max + ", got '" + value + "'");
  }

  /** A response whose body is JSON text already. */
  public static HttpResponseMessage jsonText(HttpRequestMessage<?> request, int status, String json) {
    return jsonText(request, status, json, Map.of());
  }

  /** A JSON response with more headers. */
  public static HttpResponseMessage json(HttpRequestMessage<?> request, int status, Object body, Map<String, String> headers) {
    try {
      return jsonText(request, status, JSON.writeValueAsString(body), headers);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot write the response as JSON", e);
    }
  }

  private static HttpResponseMessage jsonText(HttpRequestMessage<?> request, int status, String json,
      Map<String, String> headers) {
    HttpResponseMessage.Builder response = request.createResponseBuilder(HttpStatusType.custom(status))
        .header("Content-Type", "application/json; charset=utf-8");
    headers.forEach(response::header);
    return response.body(json).build();
  }

  /**
   * The error body and status of a failure the user can act on; a 503 says when to try again, as a
   * service that is starting or restarting is ready again within seconds.
   */
  public static HttpResponseMessage error(HttpRequestMessage<?> request, RealtimeAiException e) {
    String body;
    try {
      body = JSON.writeValueAsString(errorBody(e.code(), e.getMessage(), e.details()));
    } catch (com.fasterxml.jackson.core.JsonProcessingException failed) {
      throw new IllegalStateException("cannot write the error as JSON", failed);
    }
    HttpResponseMessage.Builder response = request.createResponseBuilder(HttpStatusType.custom(e.httpStatus()))
        .header("Content-Type", "application/json; charset=utf-8");
    if (e.httpStatus() == 503) {
      response.header("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
    }
    return response.body(body).build();
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
