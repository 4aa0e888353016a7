package io.realtimeai.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.realtimeai.client.TracedResponse;
import io.realtimeai.packaging.ModelPackager;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.proto.serving.PredictRequest;
import io.realtimeai.telemetry.TraceContext;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.PrometheusText;
import io.realtimeai.testing.TestImages;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code realtime-ai runtime} process started with {@code --metrics-port 0}: its Prometheus endpoint
 * after Predict calls made straight to it over gRPC, and the trace context it answers in its trailers.
 */
@Tag("integration")
class RuntimeMetricsTest {
  private static final int N = 5;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path dir;
  static RuntimeProcess runtime;
  static int metricsPort;

  @BeforeAll
  static void start() throws Exception {
    Path zip = dir.resolve("tiny.zip");
    ModelPackager.pack(ModelFolders.tinyClassifier(dir.resolve("tiny")), zip, AcceleratedCatalog.none());
    Path ready = dir.resolve("ready.json");
    runtime = RuntimeProcess.start(Path.of(System.getProperty("project.jar", "target/realtime-ai.jar")), zip,
        dir.resolve("runtime"), List.of("--metrics-port", "0", "--ready-file", ready.toString(), "--intra-op-threads", "1"));
    // The ready file follows SERVING by a moment.
    for (int i = 0; i < 100 && !Files.exists(ready); i++) {
      Thread.sleep(50);
    }
    JsonNode written = new ObjectMapper().readTree(ready.toFile());
    metricsPort = written.get("metricsPort").asInt();
  }

  @AfterAll
  static void stop() throws Exception {
    if (runtime != null) {
      runtime.close();
    }
  }

  @Test
  void scrape_afterNPredictsAndTwoMalformedCalls_countsEachUnderItsCodeWithNObservationsPerHistogram() throws Exception {
    PrometheusText before = PrometheusText.parse(scrape().body());

    for (int i = 0; i < N; i++) {
      runtime.client().predictImages(List.of(TestImages.jpeg()));
    }
    assertThatThrownBy(() -> runtime.client().predict(PredictRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    assertThatThrownBy(() -> runtime.client().predictImages(List.of(TestImages.truncatedJpeg())))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    HttpResponse<String> response = scrape();
    PrometheusText after = PrometheusText.parse(response.body());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("text/plain; version=0.0.4"));
    assertThat(delta(before, after, "realtime_ai_runtime_requests_total", "method", "Predict", "code", "OK")).isEqualTo(N);
    assertThat(delta(before, after, "realtime_ai_runtime_requests_total", "method", "Predict", "code", "INVALID_ARGUMENT"))
        .isEqualTo(2);
    assertThat(delta(before, after, "realtime_ai_runtime_request_duration_seconds_count", "method", "Predict", "code", "OK"))
        .isEqualTo(N);
    assertThat(delta(before, after, "realtime_ai_runtime_request_duration_seconds_bucket", "method", "Predict", "code", "OK",
        "le", "+Inf")).isEqualTo(N);
    // The malformed calls never reached the engine: the stage histograms hold the N scored calls only.
    for (String stage : List.of("preprocess", "queue", "inference")) {
      assertThat(delta(before, after, "realtime_ai_runtime_" + stage + "_duration_seconds_count")).as(stage).isEqualTo(N);
      assertThat(after.samples("realtime_ai_runtime_" + stage + "_duration_seconds_bucket")).as(stage).hasSizeGreaterThan(10);
    }
    assertThat(delta(before, after, "realtime_ai_runtime_batch_size_count")).isEqualTo(N);
    assertThat(delta(before, after, "realtime_ai_runtime_batch_size_sum")).as("one image per call, alone").isEqualTo(N);
    assertThat(after.sum("realtime_ai_runtime_in_flight_calls")).isZero();
    assertThat(after.samples("realtime_ai_runtime_engine", "intra_op_threads", "1")).singleElement()
        .satisfies(info -> assertThat(info.labels()).containsKeys("accelerator", "model"));
    assertThat(after.sum("realtime_ai_runtime_model_load_seconds")).isPositive();
    assertThat(after.sum("process_resident_memory_bytes")).isGreaterThan(1 << 20);
    assertThat(after.sum("jvm_memory_used_bytes")).isPositive();
  }

  @Test
  void predict_withTraceparent_answersItsOwnSpanOfThatTraceAndItsServerTiming() {
    TraceContext caller = TraceContext.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").orElseThrow();

    TracedResponse traced = runtime.client().predictImages(List.of(TestImages.jpeg()), caller);

    assertThat(traced.runtimeSpan().traceId()).isEqualTo(caller.traceId());
    assertThat(traced.runtimeSpan().spanId()).isNotEqualTo(caller.spanId());
    assertThat(traced.serverTiming()).containsOnlyKeys("preprocess", "queue", "inference");
    assertThat(traced.serverTiming().get("inference")).isPositive();
  }

  @Test
  void scrape_ofAnotherPath_is404() throws Exception {
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + metricsPort + "/other"))
        .build(), HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.body()).contains("/metrics");
  }

  private static HttpResponse<String> scrape() throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + metricsPort + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static double delta(PrometheusText before, PrometheusText after, String name, String... labels) {
    return after.sum(name, labels) - before.sum(name, labels);
  }
}
