package io.realtimeai.deployment;

/** The bodies of the service API's calls, with the Brainwave service API's field names. */
public final class ServiceRequests {
  private ServiceRequests() {}

  /**
   * {@code POST /api/services}.
   *
   * @param name DNS-safe, unique
   * @param modelId a registered model version ({@code name:version}, or a name for its latest)
   * @param computeType {@code FPGA} (default), {@code GPU} or {@code CPU}
   * @param numReplicas at least 1 (default 1)
   * @param sslEnabled serve TLS; needs both {@code sslCertificate} and {@code sslKey}
   * @param sslCertificate PEM certificate chain
   * @param sslKey PEM PKCS#8 private key
   * @param keys optional keys to use instead of generated ones
   */
  public record Create(String name, String modelId, String computeType, Integer numReplicas, Boolean sslEnabled,
      String sslCertificate, String sslKey, ServiceKeys keys) {}

  /**
   * {@code PUT /api/services/{id}}: what may change.
   *
   * @param modelId another registered model version
   * @param numReplicas another replica count
   */
  public record Update(String modelId, Integer numReplicas) {}

  /**
   * {@code POST /api/services/{id}/regenerateKeys}.
   *
   * @param keyType {@code Primary} or {@code Secondary}
   */
  public record RegenerateKeys(String keyType) {}
}
