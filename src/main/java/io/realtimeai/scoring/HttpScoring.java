package io.realtimeai.scoring;

import io.realtimeai.client.PredictionClient;
import io.realtimeai.client.TracedResponse;
import io.realtimeai.deployment.ServiceRecord;
import io.realtimeai.proto.serving.PredictResponse;
import io.realtimeai.telemetry.ServerTiming;
import io.realtimeai.telemetry.TraceContext;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Scoring over HTTP ({@code POST /api/services/{id}/score}): the images of one request go to the
 * service in one Predict call, come back labelled (or as named outputs), and — unless the caller
 * opts out — are persisted as one result at {@code http/{id}}, which also announces
 * {@code ImageScored}. Nothing but the Predict call and the result's writes leaves the process, so
 * a warm call adds little to the service's own time.
 */
public final class HttpScoring {
  private final ServiceConnections connections;
  private final ResultStore results;
  private final ImageRequests requests;
  private final Clock clock;

  /** Scoring over {@code connections}, persisting into {@code results}, with the runtime's default limits. */
  public HttpScoring(ServiceConnections connections, ResultStore results) {
    this(connections, results, ImageRequests.DEFAULT, Clock.systemUTC());
  }

  /** Scoring with the given body limits and clock. */
  public HttpScoring(ServiceConnections connections, ResultStore results, ImageRequests requests, Clock clock) {
    this.connections = connections;
    this.results = results;
    this.requests = requests;
    this.clock = clock;
  }

  /**
   * What the caller asked for besides the images.
   *
   * @param top how many classes per image to answer
   * @param persist false to skip every write: no document, no row, no event
   */
  public record Options(int top, boolean persist) {}

  /**
   * Scores the images in {@code body} on {@code service} (its id or name). {@code timings.runtimeMs}
   * is the Predict call; {@code timings.totalMs} is everything from reading the body to the answer,
   * except writing the result, which cannot time itself.
   *
   * @param contentType the body's {@code Content-Type}, or null
   * @throws io.realtimeai.error.RealtimeAiException 400/413/415 for the body (see {@link ImageRequests}), 404 for an
   *     unknown service, 503 while it has no ready replica, 422 for an image its model cannot take
   */
  public ScoreResult score(String service, String contentType, byte[] body, Options options) {
    return score(service, contentType, body, options, null);
  }

  /**
   * {@link #score(String, String, byte[], Options)} within the caller's trace: the call gets a span of
   * {@code caller}'s trace (a new trace when null), the runtime a span of its own below it, and the
   * result says both ({@code traceId}, {@code spans}) with the runtime's split of its time.
   */
  public ScoreResult score(String service, String contentType, byte[] body, Options options, TraceContext caller) {
    long started = System.nanoTime();
    TraceContext span = caller == null ? TraceContext.newTrace() : caller.child();
    List<byte[]> images = requests.read(contentType, body);
    Scored scored = connections.call(service, connection -> predict(connection, images, span));
    ScoreOutputs.Answer answer = ScoreOutputs.read(scored.response(), scored.labels(), options.top(), images.size());
    String id = UUID.randomUUID().toString();
    double totalMs = ServerTiming.millis(System.nanoTime() - started);
    double runtimeMs = ServerTiming.millis(scored.runtimeNanos());
    Map<String, Double> split = scored.serverTiming();
    ScoreResult.Timings timings = new ScoreResult.Timings(totalMs, runtimeMs, split.get("preprocess"), split.get("queue"),
        split.get("inference"));
    List<ScoreResult.Span> spans = new ArrayList<>();
    spans.add(new ScoreResult.Span("function", span.spanId(), caller == null ? null : caller.spanId(), totalMs));
    // Listed only when the runtime took up this trace (a runtime of an older build sends no span at all).
    if (scored.runtimeSpan() != null && scored.runtimeSpan().traceId().equals(span.traceId())) {
      spans.add(new ScoreResult.Span("runtime", scored.runtimeSpan().spanId(), span.spanId(), runtimeMs));
    }
    ScoreResult result = new ScoreResult(id, scored.service().name(), scored.service().modelId(),
        options.persist() ? "http/" + id : null, options.persist() ? id : null, clock.instant(), "Scored",
        answer.predictions(), answer.outputs(), null, timings, span.traceId(), List.copyOf(spans));
    return options.persist() ? results.recordNew(result) : result;
  }

  /** The Predict answer of a batch, the labels it is read with, how long the call took, and what the runtime said of it. */
  private record Scored(ServiceRecord service, List<String> labels, PredictResponse response, long runtimeNanos,
      TraceContext runtimeSpan, Map<String, Double> serverTiming) {}

  private static Scored predict(ServiceConnections.Connection connection, List<byte[]> images, TraceContext span) {
    PredictionClient client = connection.client();
    // Asked once per client and kept: outside runtimeMs, which is the Predict call alone.
    List<String> labels = client.labels();
    long started = System.nanoTime();
    TracedResponse traced = client.predictImages(images, span);
    return new Scored(connection.service(), labels, traced.response(), System.nanoTime() - started,
        traced.runtimeSpan(), traced.serverTiming());
  }
}
