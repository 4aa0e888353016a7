package io.realtimeai.deployment;

import io.realtimeai.error.RealtimeAiException;
import io.realtimeai.events.EventOutbox;
import io.realtimeai.events.EventType;
import io.realtimeai.events.Subjects;
import io.realtimeai.registry.ModelRecord;
import io.realtimeai.registry.ModelRegistry;
import io.realtimeai.telemetry.AppMetrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Advances deployment operations, one step per {@code deployments} queue message, Durable-style:
 * the operation is a persisted state machine, each step is idempotent and moves it on with a
 * conditional write, and waiting is a message sent back with a visibility delay (0.5 s doubling
 * to 5 s), never a sleeping thread. A message for a step the operation has already left is a
 * duplicate and is dropped; a step re-run after a crash finds its work done (the provider's
 * start and stop are idempotent) and moves on. A step whose message is lost is sent again by
 * the supervisor.
 */
public final class DeploymentOrchestrator {
  private static final Logger LOG = Logger.getLogger(DeploymentOrchestrator.class.getName());
  private static final Duration FIRST_WAIT = Duration.ofMillis(500);
  private static final Duration LONGEST_WAIT = Duration.ofSeconds(5);
  private static final int STDERR_LINES = 8;
  /**
   * A step's failure written longer ago than this (its host stopped meanwhile, its message was lost) is not named as
   * what kept an operation, nor counted as part of an unbroken failure: longer than a provider call that hangs (the
   * Kubernetes client's 30 s, tried twice) plus the longest wait.
   */
  private static final Duration STALE_PROBLEM = Duration.ofSeconds(90);
  private static final Duration GIVE_UP_AFTER = Duration.ofMinutes(1);
  /** The state of a replica its service's operation could not stop ({@link #giveUpStopping}). */
  static final String STOPPING = "Stopping";
  private static final String COULD_NOT_STOP = "its replicas could not be stopped: ";

  /**
   * The queue message: which operation, which step, and how many times that step waited.
   *
   * @param operationId the operation
   * @param step the step this message asks for
   * @param attempt how many times the step looked already (for the backoff)
   * @param etag the operation row's ETag as the sender left (or, for the supervisor, read) it, or null: a row
   *     written since by another message's step makes this message a stale one, dropped
   */
  public record StepMessage(String operationId, String step, int attempt, String etag) {
    /** A message that runs whatever the row's ETag. */
    public StepMessage(String operationId, String step, int attempt) {
      this(operationId, step, attempt, null);
    }
  }

  /** Told of services as their operations finish, so that whoever calls them opens or drops its connection. */
  public interface Listener {
    /**
     * A create or an update has just brought the service to {@code Succeeded}, or the supervisor
     * has brought it back whole after its replicas restarted; must not block.
     */
    void deployed(String serviceId);

    /** The service has just been deleted; must not block. */
    void deleted(String serviceId);
  }

  private final Deployments deployments;
  private final DeploymentStore store;
  private final ModelRegistry registry;
  private final ReplicaProvider provider;
  private final EventOutbox events;
  private final Clock clock;
  private final Listener listener;

  /** An orchestrator that tells {@code listener} of each service deployed or deleted. */
  public DeploymentOrchestrator(Deployments deployments, ModelRegistry registry, ReplicaProvider provider,
      EventOutbox events, Clock clock, Listener listener) {
    this.deployments = deployments;
    this.store = deployments.store();
    this.registry = registry;
    this.provider = provider;
    this.events = events;
    this.clock = clock;
    this.listener = listener;
  }

  /** Runs the step {@code message} asks for, if the operation is still at it. */
  public void advance(StepMessage message) {
    DeploymentStore.OperationRow operation = store.operation(message.operationId()).orElse(null);
    if (operation == null) {
      LOG.warning(() -> "deployment step for unknown operation " + message.operationId() + " dropped");
      return;
    }
    if (isFinished(operation) || !operation.step().equals(message.step())) {
      return;
    }
    if (message.etag() != null && !message.etag().equals(operation.etag())) {
      // The row was written since this message was sent, by another message's step (the supervisor's copy of a
      // step, or the chain it replaced): the message that wrote it carries the operation on; one chain, not two.
      LOG.fine(() -> "operation " + message.operationId() + " step " + message.step() + ": a stale message, dropped");
      return;
    }
    DeploymentStore.ServiceRow service = store.service(operation.serviceId()).orElse(null);
    boolean movedOn = service == null ? !operation.type().equals("Delete") : !operation.id().equals(service.operationId());
    if (movedOn && released(operation)) {
      // Only this operation's last step makes its service idle, so a service that moved on since (a later update or
      // delete) was released by it: the host stopped before the step finished the operation. It ends as the step does
      // (whose event was recorded before the release).
      DeploymentStore.OperationRow left = operation;
      boolean failed = !left.step().equals(Steps.FINALIZE);
      LOG.info(() -> "operation " + left.id() + " (" + left.type() + " " + left.serviceName()
          + ") had released its service when its host stopped; finished now");
      finish(left, failed ? "Failed" : "Succeeded", failed ? left.error() : null);
      return;
    }
    if (operation.step().equals(Steps.TEARDOWN) && operation.error() != null) {
      // A delete given up (giveUpStopping writes its error first) ends as that did, whatever the provider says now.
      if (service == null) {
        // Deleted since by another delete, which announced it.
        finish(operation, "Failed", operation.error());
      } else {
        giveUpStopping(operation, service, null);
      }
      return;
    }
    if (movedOn) {
      // An operation whose service moved on without it (its recording lost a race): nothing to do.
      finish(operation, "Cancelled", null);
      return;
    }
    if (operation.state().equals("NotStarted")) {
      operation = transition(operation, "Running", operation.step(), null);
      if (operation == null) {
        return;
      }
    }
    boolean pastDeadline = clock.instant().isAfter(operation.deadline());
    if (pastDeadline && List.of(Steps.PROVISION, Steps.WAIT_FOR_READY).contains(operation.step())) {
      List<String> reasons = reasons(service, operation);
      // The first replica's reason (a pod nobody can schedule, an API server that refuses us) is the message itself.
      String why = reasons.stream().filter(r -> r.contains(": starting: ") || r.contains("cannot be asked"))
          .findFirst().map(r -> ": " + r).orElse("");
      if (operation.problem() != null && operation.updatedAt() != null
          && !clock.instant().isAfter(operation.updatedAt().plus(STALE_PROBLEM))) {
        // The step failed each time it ran, up to now: that, not where the replicas are, is what kept it.
        why = ": " + operation.step() + " failed: " + operation.problem();
        reasons.add(0, operation.step() + " failed: " + operation.problem());
      }
      toFail(operation, new OperationRecord.Error("DeploymentTimeout", "the deployment did not finish within "
          + deployments.settings().deploymentTimeout().toSeconds() + " s" + why, reasons));
      return;
    }
    DeploymentStore.OperationRow current = operation;
    Instant began = clock.instant();
    try {
      switch (current.step()) {
        case Steps.PROVISION -> provision(operation, service);
        case Steps.WAIT_FOR_READY -> waitForReady(operation, service, message.attempt());
        case Steps.SWITCH -> switchOver(operation, service);
        case Steps.TEARDOWN -> teardown(operation, service);
        case Steps.FINALIZE -> finalizeOperation(operation, service);
        case Steps.FAIL -> fail(operation, service);
        default -> LOG.warning(() -> "operation " + current.id() + " is at an unknown step " + current.step());
      }
    } catch (ProviderRejectedException e) {
      // Before the switch-over only: an update whose new replicas serve is not thrown away for a refusal.
      if (beforeSwitch(current)) {
        LOG.warning(() -> "operation " + current.id() + " step " + current.step() + " refused by the replica provider: "
            + e.getMessage());
        toFail(current, new OperationRecord.Error(e.code(), e.getMessage(), List.of()));
      } else {
        // Undoing is not given up for a refusal, not at once: asked again at the longest wait, loudly.
        LOG.severe(() -> "operation " + current.id() + " step " + current.step() + " refused by the replica provider: "
            + e.getMessage());
        providerFailed(current, service, message.attempt(), e.getMessage(), LONGEST_WAIT, began);
      }
    } catch (ProviderUnavailableException e) {
      // The provider cannot be asked now (an API server away, pods still terminating): the step is asked again later,
      // the operation stays.
      long delay = Math.min(LONGEST_WAIT.toMillis(), FIRST_WAIT.toMillis() << Math.min(message.attempt(), 10));
      LOG.warning(() -> "operation " + current.id() + " step " + current.step() + " waits for the replica provider: "
          + e.getMessage() + "; asking again in " + delay + " ms");
      if (beforeSwitch(current)) {
        askAgain(current, current.step(), message.attempt() + 1, Duration.ofMillis(delay));
      } else {
        providerFailed(current, service, message.attempt(), e.getMessage(), Duration.ofMillis(delay), began);
      }
    } catch (RealtimeAiException e) {
      // A request that can never succeed (its model deleted meanwhile, say) fails the operation at once with its own
      // words, before the switch-over; anything else is asked again, as a storage hiccup should be.
      if (e.httpStatus() >= 400 && e.httpStatus() < 500 && beforeSwitch(current)) {
        LOG.warning(() -> "operation " + current.id() + " step " + current.step() + " cannot go on: " + e.getMessage());
        toFail(current, new OperationRecord.Error(e.code(), e.getMessage(), e.details()));
      } else {
        retryAfter(current, message.attempt(), e, e.getMessage());
      }
    } catch (RuntimeException e) {
      retryAfter(current, message.attempt(), e, describe(e));
    }
  }

  private static boolean beforeSwitch(DeploymentStore.OperationRow operation) {
    return List.of(Steps.PROVISION, Steps.WAIT_FOR_READY).contains(operation.step());
  }

  /**
   * A step that failed otherwise (a storage error, a replica folder that cannot be written) is asked again with the
   * backoff of a wait, its problem noted on the operation row, so that an operation that reaches its deadline says why,
   * not only where its replicas are. Before the switch-over the deadline ends it; after it, the step is asked again
   * until it succeeds (the supervisor shows nothing else to do: the service is half changed). A step interrupted (the
   * host stopping) is thrown to the queue, which gives its message back.
   */
  private void retryAfter(DeploymentStore.OperationRow operation, int attempt, RuntimeException e, String problem) {
    if (Thread.currentThread().isInterrupted() || interrupted(e)) {
      throw e;
    }
    long delay = Math.min(LONGEST_WAIT.toMillis(), FIRST_WAIT.toMillis() << Math.min(attempt, 10));
    LOG.warning(() -> "operation " + operation.id() + " step " + operation.step() + " failed: " + problem
        + "; asking again in " + delay + " ms");
    // Noted, but not as the provider failing: the provider answered this time, so its unbroken failure ends here.
    sendAgain(operation.withProblem(problem, null), operation.step(), attempt + 1, Duration.ofMillis(delay));
  }

  /**
   * A step after the switch-over that the provider could not do (an API server away, pods still terminating, a
   * refusal): asked again after {@code delay}; given up ({@link #giveUpStopping}) once it is a step that may be
   * ({@link #pastUndoing}) and the provider has failed it without a break for {@link #giveUpAfter}.
   */
  private void providerFailed(DeploymentStore.OperationRow operation, DeploymentStore.ServiceRow service, int attempt,
      String why, Duration delay, Instant began) {
    DeploymentStore.OperationRow failing = withProblem(operation, why, began);
    if (service != null && pastUndoing(operation, service)
        && !clock.instant().isBefore(failing.problemSince().plus(giveUpAfter()))) {
      giveUpStopping(failing, service, why);
      return;
    }
    sendAgain(failing, operation.step(), attempt + 1, delay);
  }

  /**
   * The row with the provider's {@code problem} noted, failing since its first failure of this step in a row: a row
   * last written more than {@link #STALE_PROBLEM} before this run of the step {@code began} (the step did not run
   * meanwhile: its host was down, its message lost) starts again from now.
   */
  private DeploymentStore.OperationRow withProblem(DeploymentStore.OperationRow operation, String problem,
      Instant began) {
    boolean running = operation.problemSince() != null && operation.updatedAt() != null
        && !began.isAfter(operation.updatedAt().plus(STALE_PROBLEM));
    return operation.withProblem(problem, running ? operation.problemSince() : clock.instant());
  }

  /** How long a provider must fail a step that may be given up, without a break, before it is: a minute at most. */
  private Duration giveUpAfter() {
    Duration timeout = deployments.settings().deploymentTimeout();
    return timeout.compareTo(GIVE_UP_AFTER) < 0 ? timeout : GIVE_UP_AFTER;
  }

  private static boolean interrupted(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
      if (cause instanceof InterruptedException || cause instanceof java.nio.channels.ClosedByInterruptException
          || cause instanceof java.io.InterruptedIOException && !(cause instanceof java.net.SocketTimeoutException)) {
        return true;
      }
    }
    return false;
  }

  /** An exception in a line: its innermost cause's words, which name the file or the storage error. */
  private static String describe(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String words = root.getMessage() == null ? root.getClass().getSimpleName()
        : root.getClass().getSimpleName() + ": " + root.getMessage().lines().findFirst().orElse("");
    if (e == root || e.getMessage() == null) {
      return words;
    }
    String said = e.getMessage().lines().findFirst().orElse("");
    return root.getMessage() != null && said.contains(root.getMessage()) ? said : said + " (" + words + ")";
  }

  private void provision(DeploymentStore.OperationRow operation, DeploymentStore.ServiceRow service) {
    List<DeploymentStore.ReplicaRow> replicas = new ArrayList<>(service.replicas());
    String modelId = operation.plan().modelId();
    for (String replicaId : operation.plan().start()) {
      provider.start(spec(service, replicaId, modelId));
      if (replicas.stream().noneMatch(r -> r.id().equals(replicaId))) {
        replicas.add(new DeploymentStore.ReplicaRow(replicaId, "Starting", null, null, null, modelId));
      }
    }
    saveReplicas(service, replicas);
    moveOn(operation, Steps.WAIT_FOR_READY);
  }

  private void waitForReady(DeploymentStore.OperationRow operation, DeploymentStore.ServiceRow service, int attempt) {
    boolean allReady = true;
    List<DeploymentStore.ReplicaRow> replicas = new ArrayList<>(service.replicas());
    for (String replicaId : operation.plan().start()) {
      ReplicaStatus status = provider.status(service.id(), replicaId);
      switch (status.state()) {
        case READY -> replace(replicas, replicaId, r -> r.with("Ready", status.host(), status.port(), status.accelerator()));
        case FAILED -> {
          List<String> lines = lines(status.reason());
          String what = "replica " + replicaId + " of service '" + service.name() + "' could not start";
          toFail(operation, status.code() != null
              ? new OperationRecord.Error(status.code(), what + ": " + status.reason(), List.of())
              : new OperationRecord.Error("RuntimeFailed", what + (lines.isEmpty() ? "" : ": " + lines.get(lines.size() - 1)),
                  lines));
          return;
        }
        case GONE -> {
          // Lost (its host restarted and the process with it): start it again.
          provider.start(spec(service, replicaId, operation.plan().modelId()));
          allReady = false;
        }
        case STARTING -> allReady = false;
      }
    }
    saveReplicas(service, replicas);
    if (allReady) {
      moveOn(operation, operation.type().equals("Update") ? Steps.SWITCH : Steps.FINALIZE);
    } else {
      long delay = Math.min(LONGEST_WAIT.toMillis(), FIRST_WAIT.toMillis() << Math.min(attempt, 10));
      askAgain(operation, Steps.WAIT_FOR_READY, attempt + 1, Duration.ofMillis(delay));
    }
  }

  private void switchOver(DeploymentStore.OperationRow operation, DeploymentStore.ServiceRow service) {
    for (String replicaId : operation.plan().stop()) {
      provider.stop(service.id(), replicaId);
    }
    List<DeploymentStore.ReplicaRow> kept = service.replicas().stream()
        .filter(r -> !operation.plan().stop().contains(r.id())).toList();
    DeploymentStore.ServiceRow switched = service.withReplicas(kept)
        .withModel(operation.plan().modelId(), null, operation.plan().numReplicas());
    List<String> released = store.slotsOf(service.id(), operation.plan().stop());
    if (!store.update(switched, List.of(), List.of(), released)) {
      askAgain(operation, Steps.SWITCH, 0, FIRST_WAIT);
      return;
    }
    moveOn(operation, Steps.FINALIZE);
  }

  private void teardown(DeploymentStore.OperationRow operation, DeploymentStore.ServiceRow service) {
    if (service != null) {
      List<String> all = new ArrayList<>(operation.plan().stop());
      provider.replicas(service.id()).forEach(r -> {
        if (!all.contains(r)) {
          all.add(r);
        }
      });
      for (String replicaId : all) {
        provider.stop(service.id(), replicaId);
      }
      // Claimed first, conditionally: a copy of this step that gave the delete up meanwhile (a slow provider, the
      // supervisor's resend) has written the row, and then this copy ends here rather than remove the service.
      // The provider answered: whatever it failed before is no longer counted.
      DeploymentStore.OperationRow claimed = transition(operation.withProblem(null, null), operation.state(),
          operation.step(), operation.error());
      if (claimed == null) {
        return;
      }
      try {
        store.remove(service);
        moveOn(claimed, Steps.FINALIZE);
      } catch (RuntimeException e) {
        // Asked again from the row as claimed (the caller's copy of it is stale now).
        retryAfter(claimed, 0, e, describe(e));
      }
      return;
    }
    moveOn(operation, Steps.FINALIZE);
  }

  private void finalizeOperation(DeploymentStore.OperationRow operation, DeploymentStore.ServiceRow service) {
    if (operation.type().equals("Delete")) {
      events.record(EventType.SERVICE_DELETED, Subjects.service(operation.serviceName()),
          Map.of("serviceId", operation.serviceId(), "name", operation.serviceName()), operation.id() + ":deleted");
      listener.deleted(operation.serviceId());
      finish(operation, "Succeeded", null);
      return;
    }
    // The event first (its id makes it once), then the state that releases the service: a host that stops between
    // the release and the operation's end leaves nothing unannounced (see released()).
    events.record(EventType.SERVICE_DEPLOYED, Subjects.service(service.name()), eventData(service, operation),
        operation.id() + ":deployed");
    if (!setState(service, "Succeeded")) {
      askAgain(operation, Steps.FINALIZE, 0, FIRST_WAIT);
      return;
    }
    finish(operation, "Succeeded", null);
    listener.deployed(service.id());
  }

  private void fail(DeploymentStore.OperationRow operation, DeploymentStore.ServiceRow service) {
    for (String replicaId : operation.plan().start()) {
      provider.stop(service.id(), replicaId);
    }
    List<DeploymentStore.ReplicaRow> left = service.replicas().stream()
        .filter(r -> !operation.plan().start().contains(r.id())).toList();
    List<String> released = store.slotsOf(service.id(), operation.plan().start());
    DeploymentStore.ServiceRow after = operation.type().equals("Create")
        ? service.withReplicas(List.of()).withState("Failed")
        // A failed update leaves the service as it was: its old replicas never stopped (a service with none, a failed
        // one, stays Failed).
        : service.withReplicas(left).withState(left.isEmpty() ? "Failed" : "Succeeded")
            .withModel(service.modelId(), null, service.numReplicas());
    Map<String, Object> data = eventData(after, operation);
    data.put("error", operation.error());
    // The event first, then the release (as in finalizeOperation).
    events.record(EventType.SERVICE_DEPLOYMENT_FAILED, Subjects.service(service.name()), data, operation.id() + ":failed");
    if (!store.update(after, List.of(), List.of(), released)) {
      askAgain(operation, Steps.FAIL, 0, FIRST_WAIT);
      return;
    }
    LOG.warning(() -> "operation " + operation.id() + " (" + operation.type() + " " + service.name() + ") failed: "
        + (operation.error() == null ? "" : operation.error().message()));
    finish(operation, "Failed", operation.error());
  }

  /**
   * True for a step that stops replicas and has had its time: a Delete's Teardown past the operation's deadline, a
   * Create's Fail a deployment timeout past it. Past that, a provider that still cannot stop them (pods left
   * terminating on a node that lost contact, an API server away) no longer keeps the operation running and the
   * service's name claimed; so does an Update's Fail where the service has no other replica. An Update's Switch, and
   * its Fail where old replicas serve, go on asking: giving up would leave new replicas running beside the old ones.
   */
  private boolean pastUndoing(DeploymentStore.OperationRow operation, DeploymentStore.ServiceRow service) {
    Instant now = clock.instant();
    return switch (operation.step()) {
      case Steps.TEARDOWN -> now.isAfter(operation.deadline());
      // An update of a service that serves nothing (a failed one) is undone like a create.
      case Steps.FAIL -> (operation.type().equals("Create")
          || service.replicas().stream().allMatch(r -> operation.plan().start().contains(r.id())))
          && now.isAfter(operation.deadline().plus(deployments.settings().deploymentTimeout()));
      default -> false;
    };
  }

  /**
   * Ends an operation whose replicas the provider could not stop in time: {@code Failed}, saying why; the service stays,
   * {@code Failed}, its replicas {@code Stopping} (not called, not restarted, not updated), so that deleting it (again)
   * stops them once the provider can. The error is written on the operation, and the event recorded, before the
   * service is released: a host that stops after the release leaves an operation that ends as this would.
   */
  private void giveUpStopping(DeploymentStore.OperationRow operation, DeploymentStore.ServiceRow service, String why) {
    OperationRecord.Error error;
    if (operation.step().equals(Steps.TEARDOWN)) {
      error = operation.error() != null ? operation.error()
          : new OperationRecord.Error("DeploymentTimeout", "the delete did not finish within "
              + deployments.settings().deploymentTimeout().toSeconds() + " s: " + why
              + "; the service stays, Failed; delete it again once its replicas can be stopped", List.of());
    } else {
      OperationRecord.Error failure = operation.error() == null
          ? new OperationRecord.Error("DeploymentFailed", "the deployment failed", List.of()) : operation.error();
      List<String> details = new ArrayList<>(failure.details());
      details.removeIf(line -> line.startsWith(COULD_NOT_STOP));
      details.add(COULD_NOT_STOP + why + "; the service stays, Failed; delete it once they can be");
      error = new OperationRecord.Error(failure.code(), failure.message(), details);
    }
    DeploymentStore.OperationRow failing = transition(operation, operation.state(), operation.step(), error);
    if (failing == null) {
      return;
    }
    // Every replica the step was to stop, listed or not (one started before its row was saved), is Stopping.
    List<DeploymentStore.ReplicaRow> stopping = new ArrayList<>(service.replicas().stream()
        .map(r -> r.with(STOPPING, null, null, r.accelerator())).toList());
    List<String> tried = new ArrayList<>(operation.plan().start());
    tried.addAll(operation.plan().stop());
    for (String id : tried) {
      if (stopping.stream().noneMatch(r -> r.id().equals(id))) {
        stopping.add(new DeploymentStore.ReplicaRow(id, STOPPING, null, null, null, operation.plan().modelId()));
      }
    }
    DeploymentStore.ServiceRow after = service.withState("Failed").withReplicas(stopping);
    Map<String, Object> data = eventData(after, failing);
    data.put("error", error);
    events.record(EventType.SERVICE_DEPLOYMENT_FAILED, Subjects.service(service.name()), data, operation.id() + ":failed");
    if (!store.update(after)) {
      sendAgain(failing, failing.step(), 0, FIRST_WAIT);
      return;
    }
    LOG.warning(() -> "operation " + operation.id() + " (" + operation.type() + " " + service.name() + ") given up: "
        + error.message());
    finish(failing, "Failed", error);
  }

  /**
   * True for an operation whose last step has made its service idle: Finalize, Fail, or a Teardown given up
   * ({@link #giveUpStopping}, which writes its error first).
   */
  private static boolean released(DeploymentStore.OperationRow operation) {
    return List.of(Steps.FINALIZE, Steps.FAIL).contains(operation.step())
        || operation.step().equals(Steps.TEARDOWN) && operation.error() != null;
  }

  /** Records the failure and sends the Fail step, which undoes what the operation started. */
  private void toFail(DeploymentStore.OperationRow operation, OperationRecord.Error error) {
    DeploymentStore.OperationRow failing = transition(operation, operation.state(), Steps.FAIL, error);
    if (failing != null) {
      deployments.enqueue(operation.id(), Steps.FAIL, 0, Duration.ZERO, failing.etag());
    }
  }

  /**
   * Sends the step again after {@code delay}, once the operation row is written again as it was read: its timestamp
   * shows the supervisor that the operation is moving (a step that waits writes nothing else), and a chain of messages
   * that finds the row written since (another chain's) ends here instead of running beside it.
   */
  private void askAgain(DeploymentStore.OperationRow operation, String step, int attempt, Duration delay) {
    // A step that waits (or is refused) ran: whatever failed in it before is no longer why it waits.
    sendAgain(operation.withProblem(null, null), step, attempt, delay);
  }

  private void sendAgain(DeploymentStore.OperationRow operation, String step, int attempt, Duration delay) {
    String written = store.write(operation);
    if (written != null) {
      deployments.enqueue(operation.id(), step, attempt, delay, written);
    } else {
      LOG.fine(() -> "operation " + operation.id() + " step " + step + " moved on elsewhere; this message ends here");
    }
  }

  private void moveOn(DeploymentStore.OperationRow operation, String step) {
    DeploymentStore.OperationRow next = transition(operation, operation.state(), step, operation.error());
    if (next != null) {
      deployments.enqueue(operation.id(), step, 0, Duration.ZERO, next.etag());
    }
  }

  private void finish(DeploymentStore.OperationRow operation, String state, OperationRecord.Error error) {
    DeploymentStore.OperationRow finished = operation.at(state, operation.step(), error, clock.instant());
    if (!store.update(finished)) {
      LOG.fine(() -> "operation " + operation.id() + " finished elsewhere");
    } else {
      AppMetrics.deploymentEnded(operation.type(), state);
    }
  }

  /** Moves an operation on, if no other step moved it first; the new row, or null. */
  private DeploymentStore.OperationRow transition(DeploymentStore.OperationRow operation, String state, String step,
      OperationRecord.Error error) {
    DeploymentStore.OperationRow next = operation.at(state, step, error, operation.endTime());
    if (!store.update(next)) {
      return null;
    }
    return store.operation(operation.id()).orElse(null);
  }

  private boolean setState(DeploymentStore.ServiceRow service, String state) {
    for (int attempt = 0; attempt < 5; attempt++) {
      DeploymentStore.ServiceRow current = store.service(service.id()).orElse(null);
      if (current == null) {
        return false;
      }
      if (current.state().equals(state) || store.update(current.withState(state))) {
        return true;
      }
    }
    return false;
  }

  private void saveReplicas(DeploymentStore.ServiceRow service, List<DeploymentStore.ReplicaRow> replicas) {
    DeploymentStore.ServiceRow current = service;
    for (int attempt = 0; attempt < 5; attempt++) {
      if (current.replicas().equals(replicas) || store.update(current.withReplicas(replicas))) {
        return;
      }
      current = store.service(service.id()).orElse(null);
      if (current == null) {
        return;
      }
    }
  }

  /** The spec of one replica of a service, running {@code modelId}. */
  ReplicaSpec spec(DeploymentStore.ServiceRow service, String replicaId, String modelId) {
    ModelRecord model = registry.get(modelId);
    List<String> accelerated = model.stages().stream().filter(s -> "accelerated".equals(s.type()))
        .map(s -> s.model()).toList();
    return new ReplicaSpec(service.id(), service.name(), replicaId, model.id(),
        ModelRecord.packageBlob(model.name(), model.version()), model.sha256(), accelerated,
        service.computeType().accelerator(), service.keys().both(), service.tlsCertificate(), service.tlsKey());
  }

  private List<String> reasons(DeploymentStore.ServiceRow service, DeploymentStore.OperationRow operation) {
    List<String> reasons = new ArrayList<>();
    if (service == null) {
      return reasons;
    }
    for (String replicaId : operation.plan().start()) {
      ReplicaStatus status;
      try {
        status = provider.status(service.id(), replicaId);
      } catch (ProviderUnavailableException e) {
        reasons.add("replica " + replicaId + " cannot be asked: " + e.getMessage());
        continue;
      }
      reasons.add("replica " + replicaId + ": " + status.state().name().toLowerCase(java.util.Locale.ROOT)
          + (status.reason() == null ? "" : ": " + status.reason()));
    }
    return reasons;
  }

  private static List<String> lines(String reason) {
    if (reason == null) {
      return List.of();
    }
    List<String> lines = reason.lines().filter(l -> !l.isBlank()).toList();
    return lines.subList(Math.max(0, lines.size() - STDERR_LINES), lines.size());
  }

  private static void replace(List<DeploymentStore.ReplicaRow> replicas, String id,
      java.util.function.UnaryOperator<DeploymentStore.ReplicaRow> change) {
    for (int i = 0; i < replicas.size(); i++) {
      if (replicas.get(i).id().equals(id)) {
        replicas.set(i, change.apply(replicas.get(i)));
      }
    }
  }

  private static boolean isFinished(DeploymentStore.OperationRow operation) {
    return List.of("Succeeded", "Failed", "Cancelled").contains(operation.state());
  }

  private Map<String, Object> eventData(DeploymentStore.ServiceRow service, DeploymentStore.OperationRow operation) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("serviceId", service.id());
    data.put("name", service.name());
    data.put("modelId", service.modelId());
    data.put("operationId", operation.id());
    data.put("operationType", operation.type());
    ServiceRecord view = deployments.view(service);
    data.put("ipAddress", view.ipAddress());
    data.put("port", view.port());
    data.put("accelerator", view.accelerator());
    data.put("numReplicas", service.numReplicas());
    return data;
  }
}
