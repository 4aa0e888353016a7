package io.realtimeai.scoring;

import io.realtimeai.client.PredictionClient;
import io.realtimeai.deployment.ServiceRecord;
import io.realtimeai.proto.serving.PredictResponse;
import java.time.Clock;
import java.util.List;
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
    long started = System.nanoTime();
    List<byte[]> images = requests.read(contentType, body);
    Scored scored = connections.call(service, connection -> predict(connection, images));
    ScoreOutputs.Answer answer = ScoreOutputs.read(scored.response(), scored.labels(), options.top(), images.size());
    String id = UUID.randomUUID().toString();
    ScoreResult.Timings timings = new ScoreResult.Timings(millis(System.nanoTime() - started), millis(scored.runtimeNanos()));
    ScoreResult result = new ScoreResult(id, scored.service().name(), scored.service().modelId(),
        options.persist() ? "http/" + id : null, options.persist() ? id : null, clock.instant(), "Scored",
        answer.predictions(), answer.outputs(), null, timings);
    return options.persist() ? results.recordNew(result) : result;
  }

  /** The Predict answer of a batch, the labels it is read with, and how long the call took. */
  private record Scored(ServiceRecord service, List<String> labels, PredictResponse response, long runtimeNanos) {}

  private static Scored predict(ServiceConnections.Connection connection, List<byte[]> images) {
    PredictionClient client = connection.client();
    // Asked once per client and kept: outside runtimeMs, which is the Predict call alone.
    List<String> labels = client.labels();
    long started = System.nanoTime();
    PredictResponse response = client.predictImages(images);
    return new Scored(connection.service(), labels, response, System.nanoTime() - started);
  }

  private static double millis(long nanos) {
    return Math.round(nanos / 1_000.0) / 1_000.0;
  }
}
