package io.realtimeai.deployment.local;

import io.realtimeai.deployment.ReplicaSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * What a replica's runtime was started with, less its keys (those change without a restart): a
 * {@code start} whose record equals the running replica's finds it as it is; any other replaces it.
 * Kept as {@code replica.json} in the replica's folder, so that a restarted host can compare too.
 *
 * @param serviceId the service's id
 * @param serviceName the name the runtime answers in {@code model_spec}
 * @param replicaId the replica's id
 * @param modelId the registered model version
 * @param packageBlob the package in the {@code models} container
 * @param packageSha256 the package's SHA-256 (null when the spec named none)
 * @param acceleratedModels the catalog entries it loads, sorted
 * @param accelerator the execution provider asked for
 * @param tlsSha256 a digest of the TLS certificate and key, so a new certificate restarts the replica (null: plaintext)
 */
record LaunchRecord(
    String serviceId,
    String serviceName,
    String replicaId,
    String modelId,
    String packageBlob,
    String packageSha256,
    List<String> acceleratedModels,
    String accelerator,
    String tlsSha256) {
  LaunchRecord {
    acceleratedModels = acceleratedModels == null ? List.of() : List.copyOf(acceleratedModels);
  }

  /** The record of {@code spec}. */
  static LaunchRecord of(ReplicaSpec spec) {
    return new LaunchRecord(spec.serviceId(), spec.serviceName(), spec.replicaId(), spec.modelId(), spec.packageBlob(),
        spec.packageSha256(), spec.acceleratedModels().stream().distinct().sorted().toList(), spec.accelerator().name(),
        spec.tls() ? sha256(spec.tlsCertificate() + "\n" + spec.tlsKey()) : null);
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
