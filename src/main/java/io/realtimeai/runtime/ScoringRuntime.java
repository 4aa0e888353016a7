package io.realtimeai.runtime;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.realtimeai.pipeline.Pipeline;
import io.realtimeai.telemetry.MetricsServer;
import io.realtimeai.telemetry.Prometheus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * One scoring service: a gRPC server for TensorFlow Serving's Predict API in front of a pipeline.
 * It listens first (so its port is known at once), then loads and warms up the pipeline and its
 * own gRPC path, and only then reports SERVING on {@code grpc.health.v1.Health}. With a health port
 * it also answers that same status, and nothing else, in plaintext on a second port: the kubelet's
 * gRPC probe speaks no TLS, and a TCP probe would call a runtime ready before it can score.
 */
public final class ScoringRuntime implements AutoCloseable {
  /** The response header naming the replica that answered, when the runtime was given a replica id. */
  public static final String REPLICA_HEADER = "realtime-ai-replica";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final RuntimeSettings settings;
  private final List<ServerInterceptor> interceptors;
  private final HealthStatusManager health = new HealthStatusManager();
  /** Always kept (traces and counts cost little); served over HTTP only with a metrics port. */
  private final PrometheusMeterRegistry registry = Prometheus.newRegistry();
  private final RuntimeMetrics metrics = new RuntimeMetrics(registry);
  /** Closed with the runtime: several runtimes may come and go in one JVM (tests, the benchmark). */
  private final JvmGcMetrics gcMetrics = Prometheus.bindGc(registry);
  private final long created = System.nanoTime();
  private volatile Pipeline pipeline;
  private Server server;
  private Server healthServer;
  private MetricsServer metricsServer;

  public ScoringRuntime(RuntimeSettings settings) {
    this(settings, List.of());
  }

  /** A runtime whose Predict calls also pass {@code interceptors} (after the key check): for tests. */
  ScoringRuntime(RuntimeSettings settings, List<ServerInterceptor> interceptors) {
    this.settings = settings;
    this.interceptors = List.copyOf(interceptors);
  }

  /** Starts listening, writes the port file, then loads and warms up the pipeline; returns when SERVING. */
  public ScoringRuntime start(Callable<Pipeline> loader) throws Exception {
    try {
      listen();
      serve(loader.call());
    } catch (Exception | Error e) {
      stop();
      throw e;
    }
    return this;
  }

  /**
   * Warms up {@code loaded} and serves it: the pipeline runs once, the runtime calls its own port
   * once ({@link FirstCall}), health turns SERVING, then the ready file is written.
   */
  public void serve(Pipeline loaded) {
    loaded.warmUp();
    metrics.loaded(loaded, settings.name(), System.nanoTime() - created);
    pipeline = loaded;
    FirstCall.make(port(), settings);
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
    if (settings.readyFile() != null) {
      Map<String, Object> ready = new LinkedHashMap<>();
      ready.put("port", port());
      ready.put("accelerator", loaded.accelerator());
      ready.put("intraOpThreads", loaded.engineThreads().intraOpThreads());
      ready.put("threads", loaded.engineThreads().describe());
      ready.put("pid", ProcessHandle.current().pid());
      if (metricsServer != null) {
        ready.put("metricsPort", metricsServer.port());
      }
      try {
        writeAtomically(settings.readyFile(), JSON.writeValueAsString(ready));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the ready file " + settings.readyFile() + ": " + e.getMessage(), e);
      }
    }
  }

  /** Starts listening with health NOT_SERVING; Predict answers UNAVAILABLE until {@link #serve} is called. */
  public ScoringRuntime listen() throws IOException {
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
    ServerCredentials credentials = settings.tls()
        ? TlsServerCredentials.create(settings.tlsCertificate().toFile(), settings.tlsKey().toFile())
        : InsecureServerCredentials.create();
    List<ServerInterceptor> chain = new ArrayList<>(interceptors);
    // ServerInterceptors.intercept runs the last one first: the key check comes before anything else.
    chain.add(new KeyAuthInterceptor(settings.keys()));
    if (settings.replicaId() != null) {
      // Outermost, so that a call the key check refuses names its replica too.
      chain.add(PredictionService.replicaHeader(REPLICA_HEADER, settings.replicaId()));
    }
    // Outermost of all: every call is counted and timed, those the key check refuses too.
    chain.add(metrics);
    PredictionService service = new PredictionService(settings.name(), () -> pipeline);
    server = Grpc.newServerBuilderForPort(settings.port(), credentials)
        .maxInboundMessageSize(settings.maxInboundMessageBytes())
        .addService(ServerInterceptors.intercept(service, chain))
        .addService(health.getHealthService())
        .build()
        .start();
    if (settings.healthPort() != null) {
      try {
        // The same HealthStatusManager: both ports always tell the same status.
        healthServer = Grpc.newServerBuilderForPort(settings.healthPort(), InsecureServerCredentials.create())
            .addService(health.getHealthService())
            .build()
            .start();
      } catch (IOException e) {
        abandon();
        throw new IOException("cannot listen on the health port " + settings.healthPort() + ": " + e.getMessage(), e);
      }
    }
    if (settings.metricsPort() != null) {
      try {
        metricsServer = MetricsServer.start(settings.metricsPort(), registry);
      } catch (IOException e) {
        abandon();
        throw new IOException("cannot listen on the metrics port " + settings.metricsPort() + ": " + e.getMessage(), e);
      }
    }
    try {
      if (settings.portFile() != null) {
        writeAtomically(settings.portFile(), Integer.toString(server.getPort()));
      }
      if (settings.healthPortFile() != null) {
        writeAtomically(settings.healthPortFile(), Integer.toString(healthServer.getPort()));
      }
    } catch (IOException e) {
      abandon();
      throw e;
    }
    return this;
  }

  /**
   * Closes what a failed {@link #listen} opened, and waits (up to 5 s) until its ports are free: a
   * runtime that could not start must not go on holding, or answering on, a port it never
   * reported. Interrupted, it stops waiting and keeps the interrupt; the caller still throws the
   * failure that brought it here.
   */
  private void abandon() {
    Server[] opened = {server, healthServer};
    try {
      for (Server each : opened) {
        if (each != null) {
          each.shutdownNow();
        }
      }
      for (Server each : opened) {
        if (each != null) {
          each.awaitTermination(5, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (metricsServer != null) {
        metricsServer.close();
        metricsServer = null;
      }
    }
  }

  /** The port the server listens on. */
  public int port() {
    return server.getPort();
  }

  /** The port of the plaintext health server, or -1 when the runtime has none. */
  public int healthPort() {
    return healthServer == null ? -1 : healthServer.getPort();
  }

  /** The port of the Prometheus endpoint ({@code GET /metrics}), or -1 when the runtime has none. */
  public int metricsPort() {
    return metricsServer == null ? -1 : metricsServer.port();
  }

  /** The pipeline being served, or null while it loads. */
  public Pipeline pipeline() {
    return pipeline;
  }

  /**
   * Stops gracefully: health turns NOT_SERVING, new calls are refused, in-flight calls finish
   * (up to the grace period), then the models are released. The health port closes with the runtime.
   */
  public synchronized void stop() throws InterruptedException {
    if (server == null || server.isShutdown()) {
      // Never listened, or listen() failed and shut it: the JVM-wide GC listener and the registry still go.
      closeMetrics();
      return;
    }
    health.enterTerminalState();
    if (settings.readyFile() != null) {
      try {
        Files.deleteIfExists(settings.readyFile());
      } catch (IOException e) {
        // Best effort: whoever reads the ready file also checks that its pid is alive.
      }
    }
    server.shutdown();
    if (!server.awaitTermination(settings.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
      server.shutdownNow();
      server.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (healthServer != null) {
      // Closed last, so that a probe hears NOT_SERVING while calls drain; health calls need no draining.
      healthServer.shutdownNow();
      healthServer.awaitTermination(5, TimeUnit.SECONDS);
    }
    closeMetrics();
    Pipeline loaded = pipeline;
    pipeline = null;
    if (loaded != null) {
      loaded.close();
    }
  }

  private void closeMetrics() {
    if (metricsServer != null) {
      metricsServer.close();
      metricsServer = null;
    }
    gcMetrics.close();
    registry.close();
  }

  /** Waits until the server has stopped. */
  public void blockUntilShutdown() throws InterruptedException {
    if (server != null) {
      server.awaitTermination();
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  // Written to a temporary file and moved, so a reader never sees a half-written port or ready file.
  private static void writeAtomically(Path file, String content) throws IOException {
    Path absolute = file.toAbsolutePath();
    Files.createDirectories(absolute.getParent());
    Path partial = absolute.resolveSibling(absolute.getFileName() + ".partial");
    Files.writeString(partial, content, StandardCharsets.UTF_8);
    Files.move(partial, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
