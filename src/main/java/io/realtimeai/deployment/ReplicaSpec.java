package io.realtimeai.deployment;

import io.realtimeai.pipeline.Accelerator;
import java.util.List;

/**
 * Everything a provider needs to run one replica of a service.
 *
 * @param serviceId the service's id
 * @param serviceName the service's name (the runtime answers it in {@code model_spec})
 * @param replicaId this replica's id, stable across restarts of the replica
 * @param modelId the registered model version ({@code name:version})
 * @param packageBlob the model's package in the {@code models} container ({@code name/version/model.zip})
 * @param packageSha256 the package's SHA-256, to reuse a cached copy only when it is the same
 * @param acceleratedModels the catalog entries the package names ({@code ref/version})
 * @param accelerator the execution provider the service asked for
 * @param keys the keys calls must carry (primary and secondary)
 * @param tlsCertificate PEM certificate chain when the service has TLS, else null
 * @param tlsKey PEM private key when the service has TLS, else null
 */
public record ReplicaSpec(
    String serviceId,
    String serviceName,
    String replicaId,
    String modelId,
    String packageBlob,
    String packageSha256,
    List<String> acceleratedModels,
    Accelerator accelerator,
    List<String> keys,
    String tlsCertificate,
    String tlsKey) {
  public ReplicaSpec {
    acceleratedModels = List.copyOf(acceleratedModels);
    keys = List.copyOf(keys);
  }

  /** True when the replica serves TLS. */
  public boolean tls() {
    return tlsCertificate != null;
  }

  @Override
  public String toString() {
    // Keys and TLS material never appear in logs.
    return "ReplicaSpec[" + serviceName + "/" + replicaId + ", " + modelId + ", " + accelerator + ", tls " + tls() + "]";
  }
}
