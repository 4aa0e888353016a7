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
 */
public record RuntimeSettings(
    String name,
    int port,
    Path portFile,
    KeyRing keys,
    Path tlsCertificate,
    Path tlsKey,
    int maxInboundMessageBytes,
    Duration shutdownGrace) {
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
    if (maxInboundMessageBytes < 1) {
      throw new IllegalArgumentException("the inbound message limit must be positive");
    }
    name = name == null || name.isBlank() ? "default" : name;
    keys = keys == null ? KeyRing.of(java.util.List.of()) : keys;
    shutdownGrace = shutdownGrace == null ? Duration.ofSeconds(30) : shutdownGrace;
  }

  /** Plaintext on a free port without keys: what tests and benchmarks start. */
  public static RuntimeSettings loopback() {
    return new RuntimeSettings("default", 0, null, null, null, null, DEFAULT_MAX_INBOUND_MESSAGE_BYTES, null);
  }

  /** True when the runtime serves TLS. */
  public boolean tls() {
    return tlsCertificate != null;
  }
}
