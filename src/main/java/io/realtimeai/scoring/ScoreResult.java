package io.realtimeai.scoring;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.realtimeai.client.Prediction;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What scoring answers and what is persisted: one document per scored image (or per HTTP call).
 *
 * @param id the result's id
 * @param service the service that scored it
 * @param modelId the model version that answered
 * @param path the image's path under {@code images/{service}/}, or {@code http/{id}} for an HTTP call
 * @param etag the image version scored
 * @param scoredAt when
 * @param status {@code Scored} or {@code Failed}
 * @param predictions per image, the top labelled classes (models with labels and one output)
 * @param outputs named output tensors (models without labels, or with several outputs)
 * @param error why the image could not be scored
 * @param timings how long it took
 * @param traceId the W3C trace the scoring belongs to (the HTTP caller's {@code traceparent}, or a new one)
 * @param spans the hops of an HTTP score within that trace: the function's span and the runtime's
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ScoreResult(
    String id,
    String service,
    String modelId,
    String path,
    String etag,
    Instant scoredAt,
    String status,
    List<List<Prediction>> predictions,
    Map<String, NamedOutput> outputs,
    Failure error,
    Timings timings,
    String traceId,
    List<Span> spans) {

  /** A result outside any trace. */
  public ScoreResult(String id, String service, String modelId, String path, String etag, Instant scoredAt,
      String status, List<List<Prediction>> predictions, Map<String, NamedOutput> outputs, Failure error,
      Timings timings) {
    this(id, service, modelId, path, etag, scoredAt, status, predictions, outputs, error, timings, null, null);
  }

  /**
   * One hop of a traced call.
   *
   * @param name {@code function} (the scoring function) or {@code runtime} (the scoring runtime's Predict)
   * @param spanId its span id
   * @param parentSpanId the span it was called from: the HTTP caller's, the function's; null for a new trace's root
   * @param durationMs how long it took as its caller saw it
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Span(String name, String spanId, String parentSpanId, double durationMs) {}

  /**
   * An output tensor: its element type, shape and values.
   *
   * @param dtype the TensorFlow dtype ({@code DT_FLOAT} …)
   * @param shape the dimensions, batch first
   * @param values the values, flattened
   */
  public record NamedOutput(String dtype, List<Long> shape, List<Float> values) {}

  /**
   * Why an image was not scored.
   *
   * @param code the error code ({@code UnprocessableEntity} …)
   * @param message the service's own words
   */
  public record Failure(String code, String message) {}

  /**
   * How long scoring took.
   *
   * @param totalMs the whole call, as the function saw it
   * @param runtimeMs the Predict call to the service
   * @param preprocessMs the runtime's decoding and preprocessing (its {@code server-timing}), or null
   * @param queueMs the runtime's wait for its engine, or null
   * @param inferenceMs the runtime's engine run, or null
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Timings(double totalMs, double runtimeMs, Double preprocessMs, Double queueMs, Double inferenceMs) {
    /** Timings without the runtime's own split. */
    public Timings(double totalMs, double runtimeMs) {
      this(totalMs, runtimeMs, null, null, null);
    }
  }

  /** True when the image was scored. */
  public boolean scored() {
    return "Scored".equals(status);
  }
}
