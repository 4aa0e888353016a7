package io.realtimeai.deployment.kubernetes;

import io.realtimeai.deployment.ReplicaSpec;
import io.realtimeai.pipeline.Accelerator;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * What a service's pods are made from, without the keys and TLS material (those live in the
 * Secret, so that regenerating keys changes no pod). Two replicas with the same template are pods of
 * the same pod template; a new template is a rolling update.
 *
 * @param serviceName the name the runtime answers in {@code model_spec}
 * @param modelId the registered model version
 * @param packageBlob the package in the {@code models} container
 * @param packageSha256 the SHA-256 the registry recorded, checked by the runtime before loading
 * @param acceleratedModels the catalog entries the package names
 * @param accelerator the execution provider asked for
 * @param tls whether the runtime serves TLS
 */
record ReplicaTemplate(String serviceName, String modelId, String packageBlob, String packageSha256,
    List<String> acceleratedModels, Accelerator accelerator, boolean tls) {
  ReplicaTemplate {
    acceleratedModels = List.copyOf(acceleratedModels);
  }

  static ReplicaTemplate of(ReplicaSpec spec) {
    return new ReplicaTemplate(spec.serviceName(), spec.modelId(), spec.packageBlob(), spec.packageSha256(),
        spec.acceleratedModels(), spec.accelerator(), spec.tls());
  }

  /** True when the pods ask for a GPU (GPU and FPGA services). */
  boolean accelerated() {
    return accelerator != Accelerator.CPU;
  }

  /** A short, label-safe digest of the template: the pods' {@code realtime-ai.io/template} label. */
  String hash() {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(String.join("\n", serviceName, modelId, packageBlob,
          packageSha256, String.join(",", acceleratedModels), accelerator.name(), Boolean.toString(tls))
          .getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
