package io.realtimeai.deployment;

import java.util.List;
import java.util.Optional;

/**
 * Where a service's replicas run: one {@code realtime-ai runtime} per replica, as local
 * processes on this machine, or (in the cloud) pods of a Kubernetes Deployment. The
 * orchestrator only asks it to start, look at and stop replicas; every call is idempotent, so a
 * step re-run after a crash asks again and gets the same answer.
 */
public interface ReplicaProvider extends AutoCloseable {
  /**
   * Starts replica {@code spec.replicaId()}, or finds it when it runs already (alive, same
   * package); returns at once, the replica becoming ready later.
   */
  void start(ReplicaSpec spec);

  /** Looks at a replica now. */
  ReplicaStatus status(String serviceId, String replicaId);

  /** Stops a replica and forgets it; nothing happens when it is not there. */
  void stop(String serviceId, String replicaId);

  /** Gives a running replica new keys; the runtime takes them without a restart. */
  void updateKeys(String serviceId, String replicaId, List<String> keys);

  /** The replicas this provider holds for a service. */
  List<String> replicas(String serviceId);

  /**
   * The address ({@code host:port}) of the service as a whole, where the provider puts one in front
   * of the replicas (a Kubernetes Service); empty where callers reach the replicas themselves.
   */
  default Optional<String> serviceAddress(String serviceId) {
    return Optional.empty();
  }

  /**
   * Stops every replica process because the host is going down; the services stay recorded as
   * they were and are brought back when the host starts again.
   */
  @Override
  void close();
}
