package io.realtimeai.client;

import io.realtimeai.packaging.ModelPackage;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.pipeline.Pipeline;
import io.realtimeai.pipeline.PipelineOptions;
import io.realtimeai.runtime.KeyRing;
import io.realtimeai.runtime.RuntimeSettings;
import io.realtimeai.runtime.ScoringRuntime;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestCertificates;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Replicas of one scoring service for tests: real runtimes serving the tiny classifier on loopback
 * ports, each started under its own name, which it answers in {@code model_spec.name} — how a
 * test tells which replica scored a call.
 */
final class Replicas implements AutoCloseable {
  static final String KEY = "replica-key";

  private final Path folder;
  private final TestCertificates.Pem tls;
  private final List<ScoringRuntime> started = new ArrayList<>();

  private Replicas(Path folder, TestCertificates.Pem tls) {
    this.folder = folder;
    this.tls = tls;
  }

  /** Plaintext replicas that require {@link #KEY}, with their package written under {@code dir}. */
  static Replicas plaintext(Path dir) throws IOException {
    return new Replicas(ModelFolders.tinyClassifier(dir.resolve("tiny")), null);
  }

  /** TLS replicas sharing one self-signed certificate (for {@code localhost} and {@code 127.0.0.1}). */
  static Replicas tls(Path dir) throws IOException {
    return new Replicas(ModelFolders.tinyClassifier(dir.resolve("tiny")), TestCertificates.selfSigned(dir.resolve("tls")));
  }

  /** The certificate TLS replicas serve, for the client to trust. */
  Path certificate() {
    return tls.certificate();
  }

  /** A replica named {@code name}, SERVING once this returns. */
  ScoringRuntime serving(String name) throws Exception {
    return track(new ScoringRuntime(settings(name))).start(this::load);
  }

  /** A replica named {@code name} that listens but reports NOT_SERVING, as while its model loads. */
  ScoringRuntime loading(String name) throws IOException {
    return track(new ScoringRuntime(settings(name))).listen();
  }

  /** Loads the model into a {@link #loading} replica, which then turns SERVING. */
  void finishLoading(ScoringRuntime runtime) throws Exception {
    runtime.serve(load());
  }

  /** {@code 127.0.0.1:port} of each runtime. */
  static List<String> addresses(ScoringRuntime... runtimes) {
    return List.of(runtimes).stream().map(r -> "127.0.0.1:" + r.port()).toList();
  }

  @Override
  public void close() throws InterruptedException {
    for (ScoringRuntime runtime : started) {
      runtime.stop();
    }
  }

  private ScoringRuntime track(ScoringRuntime runtime) {
    started.add(runtime);
    return runtime;
  }

  private RuntimeSettings settings(String name) {
    return new RuntimeSettings(name, 0, null, KeyRing.of(List.of(KEY)),
        tls == null ? null : tls.certificate(), tls == null ? null : tls.key(),
        RuntimeSettings.DEFAULT_MAX_INBOUND_MESSAGE_BYTES, Duration.ofSeconds(5));
  }

  private Pipeline load() throws Exception {
    ModelPackage modelPackage = ModelPackage.openDirectory(folder);
    return Pipeline.load(modelPackage.root(), modelPackage.definition(), AcceleratedCatalog.none(),
        PipelineOptions.serving().withIntraOpThreads(1));
  }
}
