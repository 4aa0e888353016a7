package io.realtimeai.deployment;

import java.time.Instant;
import java.util.List;

/**
 * An asynchronous operation on a service, as {@code GET /api/operations/{id}} answers it.
 *
 * @param id the operation id
 * @param operationType {@code Create}, {@code Update} or {@code Delete}
 * @param state {@code NotStarted}, {@code Running}, {@code Succeeded}, {@code Failed} or {@code Cancelled}
 * @param createdTime when it was asked for
 * @param endTime when it finished
 * @param resourceLocation the service it works on ({@code /api/services/{id}})
 * @param error why it failed
 */
public record OperationRecord(
    String id,
    String operationType,
    String state,
    Instant createdTime,
    Instant endTime,
    String resourceLocation,
    Error error) {

  /**
   * Why an operation failed.
   *
   * @param code a machine-readable code ({@code RuntimeFailed}, {@code DeploymentTimeout} …)
   * @param message what happened
   * @param details the runtime's own words (its last lines of stderr)
   */
  public record Error(String code, String message, List<String> details) {
    public Error {
      details = details == null ? List.of() : List.copyOf(details);
    }
  }

  /** True once it succeeded, failed or was cancelled. */
  public boolean finished() {
    return "Succeeded".equals(state) || "Failed".equals(state) || "Cancelled".equals(state);
  }
}
