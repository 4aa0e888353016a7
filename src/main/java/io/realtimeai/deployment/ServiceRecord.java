package io.realtimeai.deployment;

import java.time.Instant;
import java.util.List;

/**
 * A deployed scoring service, as {@code GET /api/services/{id}} answers it (keys are read apart).
 *
 * @param id the service id
 * @param name its unique, DNS-safe name
 * @param modelId the model version it serves
 * @param numReplicas how many replicas it runs
 * @param ipAddress where its first ready replica listens
 * @param port that replica's gRPC port
 * @param sslEnabled true when it serves TLS
 * @param state {@code Creating}, {@code Succeeded}, {@code Degraded}, {@code Updating}, {@code Deleting} or {@code Failed}
 * @param computeEnvironmentType what it asked for: {@code FPGA}, {@code GPU} or {@code CPU}
 * @param accelerator the execution provider its replicas really use
 * @param replicas every replica and where it is
 * @param operationId its latest operation
 * @param createdAt when it was created
 * @param updatedAt when it last changed
 */
public record ServiceRecord(
    String id,
    String name,
    String modelId,
    int numReplicas,
    String ipAddress,
    Integer port,
    boolean sslEnabled,
    String state,
    String computeEnvironmentType,
    String accelerator,
    List<Replica> replicas,
    String operationId,
    Instant createdAt,
    Instant updatedAt) {

  public ServiceRecord {
    replicas = replicas == null ? List.of() : List.copyOf(replicas);
  }

  /**
   * One replica of a service.
   *
   * @param id the replica id
   * @param ipAddress where it listens, once ready
   * @param port its gRPC port, once ready
   * @param state {@code Starting}, {@code Ready} or {@code Failed}
   * @param accelerator the execution provider it runs on
   */
  public record Replica(String id, String ipAddress, Integer port, String state, String accelerator) {}

  /** The {@code host:port} of every ready replica. */
  public List<String> readyAddresses() {
    return replicas.stream().filter(r -> "Ready".equals(r.state()) && r.port() != null)
        .map(r -> r.ipAddress() + ":" + r.port()).toList();
  }
}
