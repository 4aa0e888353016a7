package io.realtimeai.deployment;

/**
 * What a provider sees of a replica.
 *
 * @param state where the replica is
 * @param host the address it is reached at, when ready
 * @param port the port it listens on, when ready
 * @param accelerator the execution provider it really runs on ({@code CPU}, {@code CUDA}, {@code TensorRT}), when ready
 * @param reason why it failed, in the runtime's own words (its last lines of stderr), when failed; or what
 *     it waits for while starting (a pod the scheduler cannot place), when known
 * @param code the error code a failed deployment carries when the provider knows better than {@code RuntimeFailed}
 *     (e.g. {@code DiskFull}), or null
 */
public record ReplicaStatus(State state, String host, int port, String accelerator, String reason, String code) {
  /** Where a replica is. */
  public enum State {
    /** Started, loading and warming up its model. */
    STARTING,
    /** Serving (gRPC health SERVING). */
    READY,
    /** Exited or could not start; {@code reason} says why. */
    FAILED,
    /** Not known to the provider (never started, stopped, or lost with its host). */
    GONE
  }

  /** A replica that is starting. */
  public static ReplicaStatus starting() {
    return new ReplicaStatus(State.STARTING, null, 0, null, null, null);
  }

  /** A replica that is starting and what it waits for. */
  public static ReplicaStatus starting(String reason) {
    return new ReplicaStatus(State.STARTING, null, 0, null, reason, null);
  }

  /** A replica that serves at {@code host:port} on {@code accelerator}. */
  public static ReplicaStatus ready(String host, int port, String accelerator) {
    return new ReplicaStatus(State.READY, host, port, accelerator, null, null);
  }

  /** A replica that failed, and why. */
  public static ReplicaStatus failed(String reason) {
    return new ReplicaStatus(State.FAILED, null, 0, null, reason, null);
  }

  /** A replica that failed for a reason with a code of its own, which the failed deployment carries. */
  public static ReplicaStatus failed(String code, String reason) {
    return new ReplicaStatus(State.FAILED, null, 0, null, reason, code);
  }

  /** A replica the provider does not hold. */
  public static ReplicaStatus gone() {
    return new ReplicaStatus(State.GONE, null, 0, null, null, null);
  }
}
