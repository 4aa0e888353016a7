package io.realtimeai.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.realtimeai.events.RecordedEvent;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.PrometheusText;
import io.realtimeai.testing.TestApp;
import io.realtimeai.testing.TestImages;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The app's side of issue 14 on one stack (Azurite, the local host, one deployed service on a real
 * runtime process): {@code GET /api/metrics} after HTTP scoring, and one HTTP score followed by its
 * trace id through the function, the runtime call, the result document and the event.
 */
@Tag("integration")
class ScoringTelemetryTest {
  private static final int N = 5;
  private static final String SERVICE = "metered";
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String CALLER_SPAN = "00f067aa0ba902b7";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();

  @TempDir static Path dir;
  static TestApp app;
  static HttpScoringCalls calls;

  @BeforeAll
  static void start() throws Exception {
    app = TestApp.start(azurite, dir, TestApp.localReplicas(dir));
    calls = new HttpScoringCalls(app);
    String model = calls.register("tiny", ModelFolders.tinyClassifier(dir.resolve("tiny")), dir);
    assertThat(calls.finished(calls.create(SERVICE, model, "CPU"))).isEqualTo("Succeeded");
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
  }

  @Test
  void metrics_afterNScoresAndTwoMalformedCalls_countsEachUnderItsStatusWithNObservations() throws Exception {
    PrometheusText before = PrometheusText.parse(metrics().body());

    for (int i = 0; i < N; i++) {
      assertThat(calls.post(path("?persist=false"), "image/jpeg", TestImages.jpeg()).status()).isEqualTo(200);
    }
    assertThat(calls.post(path("?persist=false"), "image/jpeg", TestImages.truncatedJpeg()).status()).isEqualTo(422);
    assertThat(calls.post(path("?top=0"), "image/jpeg", TestImages.jpeg()).status()).isEqualTo(400);
    HttpResponse<String> response = metrics();
    PrometheusText after = PrometheusText.parse(response.body());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("text/plain; version=0.0.4"));
    assertThat(delta(before, after, "realtime_ai_score_duration_seconds_count", "service", SERVICE, "outcome", "ok"))
        .isEqualTo(N);
    assertThat(delta(before, after, "realtime_ai_score_duration_seconds_bucket", "service", SERVICE, "outcome", "ok",
        "le", "+Inf")).isEqualTo(N);
    assertThat(delta(before, after, "realtime_ai_score_requests_total", "service", SERVICE, "status", "200")).isEqualTo(N);
    assertThat(delta(before, after, "realtime_ai_score_requests_total", "service", SERVICE, "status", "422")).isEqualTo(1);
    assertThat(delta(before, after, "realtime_ai_score_requests_total", "service", SERVICE, "status", "400")).isEqualTo(1);
    assertThat(delta(before, after, "realtime_ai_score_duration_seconds_count", "service", SERVICE,
        "outcome", "client_error")).isEqualTo(2);
    assertThat(after.sum("realtime_ai_deployments_total", "outcome", "Succeeded")).isGreaterThanOrEqualTo(1);
    for (String backlog : List.of("realtime_ai_scoring_queue_depth_messages", "realtime_ai_scoring_queue_oldest_age_seconds",
        "realtime_ai_scoring_poison_depth_messages", "realtime_ai_events_outbox_backlog_events",
        "realtime_ai_events_outbox_oldest_age_seconds")) {
      assertThat(after.samples(backlog)).as(backlog).hasSize(1);
    }
    assertThat(after.sum("process_resident_memory_bytes")).isGreaterThan(1 << 20);
  }

  @Test
  void metrics_afterRefusedCallsNamingMadeUpServices_addNoServiceLabelAndCountThemAsUnknown() throws Exception {
    PrometheusText before = PrometheusText.parse(metrics().body());
    List<String> madeUp = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      madeUp.add("made-up-" + UUID.randomUUID());
    }

    // Each is refused before the service is looked up (a bad top, a media type no image has): no 404 to tell it apart.
    for (String name : madeUp) {
      assertThat(calls.post("/api/services/" + name + "/score?top=0", "image/jpeg", TestImages.jpeg()).status()).isEqualTo(400);
      assertThat(calls.post("/api/services/" + name + "/score", "text/plain", new byte[] {1}).status()).isEqualTo(415);
    }
    PrometheusText after = PrometheusText.parse(metrics().body());

    Set<String> allowed = new HashSet<>(services(before));
    allowed.add("(unknown)");
    assertThat(services(after)).doesNotContainAnyElementsOf(madeUp).isSubsetOf(allowed);
    assertThat(delta(before, after, "realtime_ai_score_requests_total", "service", "(unknown)", "status", "400")).isEqualTo(N);
    assertThat(delta(before, after, "realtime_ai_score_requests_total", "service", "(unknown)", "status", "415")).isEqualTo(N);
  }

  @Test
  void score_withUnsampledTraceparent_answersItsSpanUnsampledToo() throws Exception {
    HttpResponse<String> response = score("00-" + TRACE_ID + "-" + CALLER_SPAN + "-00");
    JsonNode body = JSON.readTree(response.body());

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.headers().firstValue("traceparent")).as("the caller's sampling decision stands")
        .hasValue("00-" + TRACE_ID + "-" + body.at("/spans/0/spanId").asText() + "-00");
  }

  @Test
  void score_withTraceparent_isFollowedByItsTraceIdThroughTheFunctionTheRuntimeAndTheResult() throws Exception {
    HttpResponse<String> response = score("00-" + TRACE_ID + "-" + CALLER_SPAN + "-01");
    JsonNode body = JSON.readTree(response.body());

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(body.get("traceId").asText()).isEqualTo(TRACE_ID);
    JsonNode function = body.at("/spans/0");
    JsonNode runtime = body.at("/spans/1");
    assertThat(function.get("name").asText()).isEqualTo("function");
    assertThat(function.get("parentSpanId").asText()).as("the caller's span").isEqualTo(CALLER_SPAN);
    assertThat(runtime.get("name").asText()).isEqualTo("runtime");
    assertThat(runtime.get("parentSpanId").asText()).as("the runtime's span is the function's child")
        .isEqualTo(function.get("spanId").asText());
    assertThat(runtime.get("spanId").asText()).isNotIn(CALLER_SPAN, function.get("spanId").asText());
    assertThat(response.headers().firstValue("traceparent"))
        .hasValue("00-" + TRACE_ID + "-" + function.get("spanId").asText() + "-01");
    assertThat(response.headers().firstValue("Server-Timing")).hasValueSatisfying(timing ->
        assertThat(timing).contains("function;dur=", "runtime;dur=", "preprocess;dur=", "queue;dur=", "inference;dur="));
    assertThat(body.at("/timings/inferenceMs").asDouble()).isPositive()
        .isLessThanOrEqualTo(body.at("/timings/runtimeMs").asDouble());

    String id = body.get("id").asText();
    TestApp.Answer stored = app.get("/api/results/" + SERVICE + "/http/" + id);
    assertThat(stored.status()).as(stored.text()).isEqualTo(200);
    assertThat(stored.body().get("traceId").asText()).isEqualTo(TRACE_ID);
    assertThat(stored.body().get("spans")).isEqualTo(body.get("spans"));
    List<RecordedEvent> scored = TestApp.events("RealtimeAI.ImageScored", "/services/" + SERVICE + "/images/http/" + id);
    assertThat(scored).singleElement().satisfies(event ->
        assertThat(event.event().data().get("traceId").asText()).isEqualTo(TRACE_ID));
  }

  @Test
  void score_withMalformedTraceparent_startsANewTraceInsteadOfFailing() throws Exception {
    HttpResponse<String> response = score("00-" + TRACE_ID.toUpperCase() + "-" + CALLER_SPAN + "-01");
    JsonNode body = JSON.readTree(response.body());

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(body.get("traceId").asText()).matches("[0-9a-f]{32}").isNotEqualTo(TRACE_ID);
    assertThat(body.at("/spans/0").has("parentSpanId")).as("a new trace's root").isFalse();
  }

  private static HttpResponse<String> score(String traceparent) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(uri(path("")))
        .header("Content-Type", "image/jpeg").header("traceparent", traceparent)
        .POST(HttpRequest.BodyPublishers.ofByteArray(TestImages.jpeg())).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> metrics() throws Exception {
    return HTTP.send(HttpRequest.newBuilder(uri("/api/metrics")).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String path(String query) {
    return "/api/services/" + SERVICE + "/score" + query;
  }

  private static URI uri(String path) {
    return URI.create("http://localhost:" + app.host().httpPort() + path);
  }

  /** The values of the {@code service} label of every HTTP score series. */
  private static Set<String> services(PrometheusText text) {
    Set<String> services = new HashSet<>();
    for (String series : List.of("realtime_ai_score_requests_total", "realtime_ai_score_duration_seconds_count")) {
      text.samples(series).forEach(sample -> services.add(sample.labels().get("service")));
    }
    return services;
  }

  private static double delta(PrometheusText before, PrometheusText after, String name, String... labels) {
    return after.sum(name, labels) - before.sum(name, labels);
  }
}
