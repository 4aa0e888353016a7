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
import io.realtimeai.scoring.HttpScoring;
import io.realtimeai.scoring.ScoreResult;
import io.realtimeai.telemetry.AppMetrics;
import io.realtimeai.telemetry.ServerTiming;
import io.realtimeai.telemetry.TraceContext;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code POST /api/services/{id}/score?top=&persist=}: scores the images of the body (a raw image,
 * multipart file parts, or JSON base64) on a service, by id or name, and answers
 * {@code {id, service, modelId, predictions | outputs, timings, traceId, spans}} with the function's
 * span as {@code traceparent} and the split of its time as {@code Server-Timing}; each call is counted
 * and timed in {@link AppMetrics}.
 */
public final class ScoreFunction {
  private static final String UNKNOWN = "(unknown)";
  /** The names and ids of services scored since the app started: the only values of a refused call's label. */
  private static final java.util.Set<String> SCORED = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** Scores the body's images; {@code top} (1–100, default 5) classes each; {@code persist=false} writes nothing. */
  @FunctionName("Score")
  public HttpResponseMessage score(
      // binary: the worker hands the body over as it came, whatever its Content-Type
      @HttpTrigger(name = "request", methods = {HttpMethod.POST}, route = "services/{id}/score", dataType = "binary",
          authLevel = AuthorizationLevel.FUNCTION) HttpRequestMessage<Optional<byte[]>> request,
      @BindingName("id") String id,
      ExecutionContext context) {
    long started = System.nanoTime();
    // The service as its record names it once scored; a refused call under the name the caller gave only where that
    // name has been scored before, else '(unknown)': a caller's made-up names must not each add a series.
    String[] service = {SCORED.contains(id) ? id : UNKNOWN};
    HttpResponseMessage response = Http.handle(request, context, () -> {
      HttpScoring.Options options = new HttpScoring.Options(Http.intParameter(request, "top", 5, 1, 100), persist(request));
      App app = App.get();
      // A malformed traceparent starts a new trace, as W3C Trace Context asks, rather than failing the call.
      TraceContext caller = TraceContext.parse(header(request, TraceContext.HEADER)).orElse(null);
      ScoreResult result = new HttpScoring(app.connections(), app.results())
          .score(id, header(request, "content-type"), request.getBody().orElse(null), options, caller);
      service[0] = result.service();
      SCORED.add(id);
      if (result.service() != null) {
        SCORED.add(result.service());
      }
      // The caller's sampling decision stands (W3C Trace Context); a trace we start is sampled.
      TraceContext answered = new TraceContext(result.traceId(), result.spans().get(0).spanId(),
          caller == null ? "01" : caller.flags());
      return Http.json(request, 200, result, Map.of(
          TraceContext.HEADER, answered.header(),
          "Server-Timing", serverTiming(result.timings())));
    });
    int status = response.getStatusCode();
    AppMetrics.scored(status == 404 ? UNKNOWN : service[0], status, System.nanoTime() - started);
    return response;
  }

  // Header names are case-insensitive; the worker's map may keep the caller's spelling.
  private static String header(HttpRequestMessage<?> request, String name) {
    return request.getHeaders().entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
        .map(Map.Entry::getValue).findFirst().orElse(null);
  }

  private static String serverTiming(ScoreResult.Timings timings) {
    Map<String, Double> parts = new LinkedHashMap<>();
    parts.put("function", timings.totalMs());
    parts.put("runtime", timings.runtimeMs());
    if (timings.preprocessMs() != null) {
      parts.put("preprocess", timings.preprocessMs());
    }
    if (timings.queueMs() != null) {
      parts.put("queue", timings.queueMs());
    }
    if (timings.inferenceMs() != null) {
      parts.put("inference", timings.inferenceMs());
    }
    return ServerTiming.format(parts);
  }

  private static boolean persist(HttpRequestMessage<?> request) {
    String value = request.getQueryParameters().get("persist");
    if (value == null || value.isBlank()) {
      return true;
    }
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new BadRequestException("persist: must be true or false, got '" + value + "'");
    };
  }
}
