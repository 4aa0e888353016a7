package io.realtimeai.client;

import io.realtimeai.proto.serving.PredictResponse;
import io.realtimeai.telemetry.TraceContext;
import java.util.Map;

/**
 * A Predict answer with what the runtime said of it in its trailers.
 *
 * @param response the answer
 * @param runtimeSpan the runtime's own span of the caller's trace ({@code traceparent} trailer), or null
 *     from a runtime that sends none
 * @param serverTiming the runtime's {@code server-timing} trailer by name, in milliseconds
 *     ({@code preprocess}, {@code queue}, {@code inference}); empty from a runtime that sends none
 */
public record TracedResponse(PredictResponse response, TraceContext runtimeSpan, Map<String, Double> serverTiming) {
  public TracedResponse {
    serverTiming = Map.copyOf(serverTiming);
  }
}
