package io.realtimeai.deployment;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Keeps deployed services up: a replica that died is started again and its service shows
 * {@code Degraded} until every replica serves again; after a host restart this is what brings
 * services that were running back. It also sends again the step of an operation whose queue
 * message was lost (an operation that has not moved for a while).
 */
public final class ReplicaSupervisor {
  private static final Logger LOG = Logger.getLogger(ReplicaSupervisor.class.getName());
  private static final Duration STALLED = Duration.ofSeconds(30);

  /**
   * What one round did.
   *
   * @param restarted replicas started again
   * @param degraded services that are not whole
   * @param resent operation steps sent again
   */
  public record Report(List<String> restarted, List<String> degraded, List<String> resent) {
    /** True when the round changed anything. */
    public boolean didWork() {
      return !restarted.isEmpty() || !resent.isEmpty();
    }
  }

  private final Deployments deployments;
  private final DeploymentStore store;
  private final DeploymentOrchestrator orchestrator;
  private final ReplicaProvider provider;
  private final Clock clock;
  private final DeploymentOrchestrator.Listener listener;
  /** When this supervisor last sent each operation's step again: once per {@link #STALLED} at most. */
  private final Map<String, Instant> resentAt = new ConcurrentHashMap<>();

  /** A supervisor that tells {@code listener} of each service back to {@code Succeeded} after a restart of its replicas. */
  public ReplicaSupervisor(Deployments deployments, DeploymentOrchestrator orchestrator, ReplicaProvider provider,
      Clock clock, DeploymentOrchestrator.Listener listener) {
    this.deployments = deployments;
    this.store = deployments.store();
    this.orchestrator = orchestrator;
    this.provider = provider;
    this.clock = clock;
    this.listener = listener;
  }

  /** The same supervisor reading the time from {@code clock}. */
  public ReplicaSupervisor withClock(Clock clock) {
    return new ReplicaSupervisor(deployments, orchestrator, provider, clock, listener);
  }

  /** One round over every running service and every unfinished operation. */
  public Report supervise() {
    List<String> restarted = new ArrayList<>();
    List<String> degraded = new ArrayList<>();
    for (DeploymentStore.ServiceRow service : store.services()) {
      if (service.state().equals("Succeeded") || service.state().equals("Degraded")) {
        try {
          superviseService(service, restarted, degraded);
        } catch (RuntimeException e) {
          // The provider cannot be asked now (an API server away), or refused a restart: this service
          // waits for the next round, the others do not.
          LOG.warning(() -> "service '" + service.name() + "' not supervised this round: " + e.getMessage());
        }
      }
    }
    List<String> resent = new ArrayList<>();
    List<DeploymentStore.OperationRow> unfinished = store.unfinishedOperations();
    resentAt.keySet().retainAll(unfinished.stream().map(DeploymentStore.OperationRow::id).toList());
    Instant now = clock.instant();
    for (DeploymentStore.OperationRow operation : unfinished) {
      Instant last = resentAt.get(operation.id());
      if (operation.updatedAt() == null || !now.isAfter(operation.updatedAt().plus(STALLED))
          || (last != null && !now.isAfter(last.plus(STALLED)))) {
        continue;
      }
      // With the row's ETag as read, and without writing it: if the chain was lost, this message carries the operation
      // on; if a step still runs (a slow one), whichever of the two writes the row first carries it on, and the other
      // ends at its next write (or is dropped as stale if it arrives after). Each host's supervisor sends its own.
      deployments.enqueue(operation.id(), operation.step(), 0, Duration.ZERO, operation.etag());
      resentAt.put(operation.id(), now);
      resent.add(operation.id() + " " + operation.step());
    }
    return new Report(restarted, degraded, resent);
  }

  private void superviseService(DeploymentStore.ServiceRow service, List<String> restarted, List<String> degraded) {
    List<DeploymentStore.ReplicaRow> replicas = new ArrayList<>();
    boolean whole = true;
    for (DeploymentStore.ReplicaRow replica : service.replicas()) {
      ReplicaStatus status = provider.status(service.id(), replica.id());
      switch (status.state()) {
        case READY -> replicas.add(replica.with("Ready", status.host(), status.port(), status.accelerator()));
        case STARTING -> {
          replicas.add(replica.with("Starting", null, null, replica.accelerator()));
          whole = false;
        }
        // A replica stopped with its host is GONE: started again like one that failed.
        case FAILED, GONE -> {
          // Read again just before: an operation that began since this round read the service (a delete, a
          // scale-down) stops replicas on purpose, and one it stopped must not be started again.
          DeploymentStore.ServiceRow now = store.service(service.id()).orElse(null);
          if (now == null || !now.etag().equals(service.etag())) {
            LOG.fine(() -> "service '" + service.name() + "' changed during the round; the next round looks again");
            return;
          }
          LOG.warning(() -> "replica " + replica.id() + " of service '" + service.name() + "' is down"
              + (status.reason() == null ? "" : " (" + status.reason().lines().reduce((a, b) -> b).orElse("") + ")")
              + "; starting it again");
          provider.start(orchestrator.spec(now, replica.id(), replica.modelId() == null ? now.modelId() : replica.modelId()));
          replicas.add(replica.with("Starting", null, null, replica.accelerator()));
          restarted.add(service.name() + "/" + replica.id());
          whole = false;
        }
      }
    }
    String state = whole ? "Succeeded" : "Degraded";
    if (!whole) {
      degraded.add(service.name());
    }
    if (!state.equals(service.state()) || !replicas.equals(service.replicas())) {
      // Conditional: a concurrent operation on the service wins, and the next round looks again.
      if (store.update(service.withState(state).withReplicas(replicas)) && whole) {
        // Back whole (a replica restarted, or the host did): its callers' connection follows it to its new ports.
        listener.deployed(service.id());
      }
    }
  }
}
