package io.realtimeai.runtime;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How a scoring runtime serves.
 *
 * @param name the model name answered in {@code model_spec}
 * @param port the port to listen on; 0 picks a free one
 * @param portFile where the bound port is written once listening (null: nowhere)
 * @param keys the keys calls must carry
 * @param tlsCertificate PEM certificate chain for TLS (null: plaintext)
 * @param tlsKey PEM PKCS#8 private key for TLS
 * @param maxInboundMessageBytes requests above this size are refused with RESOURCE_EXHAUSTED
 * @param shutdownGrace how long a stop waits for in-flight calls to finish
 * @param readyFile where {@code {"port", "accelerator", "intraOpThreads", "threads", "pid"}} is written once SERVING (null: nowhere)
 * @param replicaId sent back as the {@code realtime-ai-replica} header of every Predict and
 *     GetModelMetadata call, so a caller sees which replica answered (null: no header)
 * @param healthPort the port of a second, plaintext server answering only {@code grpc.health.v1.Health},
 *     without a key, so a probe that speaks no TLS (the kubelet's) can ask a TLS runtime; 0 picks a
 *     free one (null: no such server)
 * @param healthPortFile where the bound health port is written once listening (null: nowhere)
 * @param metricsPort the port of a plaintext HTTP server answering Prometheus' {@code GET /metrics}; 0 picks a
 *     free one (null: no such server)
 */
public record RuntimeSettings(
    String name,
    int port,
    Path portFile,
    KeyRing keys,
    Path tlsCertificate,
    Path tlsKey,
    int maxInboundMessageBytes,
    Duration shutdownGrace,
    Path readyFile,
    String replicaId,
    Integer healthPort,
    Path healthPortFile,
    Integer metricsPort) {
  /** 64 MiB, as the issue of the scoring runtime sets it. */
  public static final int DEFAULT_MAX_INBOUND_MESSAGE_BYTES = 64 << 20;

  /** TensorFlow Serving's gRPC port. */
  public static final int DEFAULT_PORT = 8500;

  public RuntimeSettings {
    if ((tlsCertificate == null) != (tlsKey == null)) {
      throw new IllegalArgumentException("TLS needs both a certificate and a key");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
    }
    if (healthPort != null && (healthPort < 0 || healthPort > 65535)) {
      throw new IllegalArgumentException("the health port must be between 0 and 65535, got " + healthPort);
    }
    if (metricsPort != null && (metricsPort < 0 || metricsPort > 65535)) {
      throw new IllegalArgumentException("the metrics port must be between 0 and 65535, got " + metricsPort);
    }
    if (healthPortFile != null && healthPort == null) {
      throw new IllegalArgumentException("a health port file needs a health port");
    }
    if (maxInboundMessageBytes < 1) {
      throw new IllegalArgumentException("the inbound message limit must be positive");
    }
    name = name == null || name.isBlank() ? "default" : name;
    keys = keys == null ? KeyRing.of(java.util.List.of()) : keys;
    shutdownGrace = shutdownGrace == null ? Duration.ofSeconds(30) : shutdownGrace;
    replicaId = replicaId == null || replicaId.isBlank() ? null : replicaId;
    // A gRPC header value is printable ASCII.
    if (replicaId != null && !replicaId.chars().allMatch(c -> c > ' ' && c < 0x7f)) {
      throw new IllegalArgumentException("the replica id must be printable ASCII without spaces, got '" + replicaId + "'");
    }
  }

  /** Settings without a health port. */
  public RuntimeSettings(String name, int port, Path portFile, KeyRing keys, Path tlsCertificate, Path tlsKey,
      int maxInboundMessageBytes, Duration shutdownGrace, Path readyFile, String replicaId) {
    this(name, port, portFile, keys, tlsCertificate, tlsKey, maxInboundMessageBytes, shutdownGrace, readyFile,
        replicaId, null, null, null);
  }

  /** Settings without a ready file or a replica id: a runtime that is not one of a provider's replicas. */
  public RuntimeSettings(String name, int port, Path portFile, KeyRing keys, Path tlsCertificate, Path tlsKey,
      int maxInboundMessageBytes, Duration shutdownGrace) {
    this(name, port, portFile, keys, tlsCertificate, tlsKey, maxInboundMessageBytes, shutdownGrace, null, null);
  }

  /** Plaintext on a free port without keys: what tests and benchmarks start. */
  public static RuntimeSettings loopback() {
    return new RuntimeSettings("default", 0, null, null, null, null, DEFAULT_MAX_INBOUND_MESSAGE_BYTES, null);
  }

  /** These settings with a plaintext health server on {@code port} (0: a free one), its port written to {@code portFile}. */
  public RuntimeSettings withHealthPort(int port, Path portFile) {
    return new RuntimeSettings(name, this.port, this.portFile, keys, tlsCertificate, tlsKey, maxInboundMessageBytes,
        shutdownGrace, readyFile, replicaId, port, portFile, metricsPort);
  }

  /** These settings with Prometheus metrics served on {@code port} (0: a free one) at {@code /metrics}. */
  public RuntimeSettings withMetricsPort(int port) {
    return new RuntimeSettings(name, this.port, portFile, keys, tlsCertificate, tlsKey, maxInboundMessageBytes,
        shutdownGrace, readyFile, replicaId, healthPort, healthPortFile, port);
  }

  /** True when the runtime serves TLS. */
  public boolean tls() {
    return tlsCertificate != null;
  }
}
