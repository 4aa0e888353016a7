package io.realtimeai.deployment;

import com.azure.core.util.BinaryData;
import com.azure.data.tables.models.TableEntity;
import io.realtimeai.error.BadRequestException;
import io.realtimeai.error.ConflictException;
import io.realtimeai.error.NotFoundException;
import io.realtimeai.registry.ModelRecord;
import io.realtimeai.registry.ModelRegistry;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The service API's domain: it validates a request, records the service and its operation in
 * one step, and hands the work to the orchestrator through the {@code deployments} queue. Every
 * call that changes a service answers at once with an operation to poll.
 */
public final class Deployments {
  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(Deployments.class.getName());
  private static final Pattern DNS_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private static final Pattern SERVICE_ID = Pattern.compile("svc-[0-9a-f]{10}");
  private static final int MAX_REPLICAS = 16;
  private static final int MAX_KEY_LENGTH = 256;
  private static final int MAX_ATTEMPTS = 10;

  /**
   * How deployments run.
   *
   * @param acceleratorQuota how many FPGA/GPU replicas may run in all
   * @param deploymentTimeout how long an operation may take before it fails
   * @param retryAfter what {@code Retry-After} tells pollers
   */
  public record Settings(int acceleratorQuota, Duration deploymentTimeout, Duration retryAfter) {}

  /**
   * What a call that changes a service answers.
   *
   * @param operation the operation to poll
   * @param service the service as it is now
   */
  public record Accepted(OperationRecord operation, ServiceRecord service) {}

  /**
   * One page of services.
   *
   * @param value the services, by name
   * @param continuation the name the next page starts after, or null
   */
  public record ServicePage(List<ServiceRecord> value, String continuation) {}

  private final DeploymentStore store;
  private final Storage storage;
  private final ModelRegistry registry;
  private final ReplicaProvider provider;
  private final Clock clock;
  private final Settings settings;

  public Deployments(Storage storage, ModelRegistry registry, ReplicaProvider provider, Clock clock, Settings settings) {
    this.store = new DeploymentStore(storage);
    this.storage = storage;
    this.registry = registry;
    this.provider = provider;
    this.clock = clock;
    this.settings = settings;
  }

  /** The settings. */
  public Settings settings() {
    return settings;
  }

  DeploymentStore store() {
    return store;
  }

  /** {@code POST /api/services}: validates, records the service ({@code Creating}) and its operation, starts it. */
  public Accepted create(ServiceRequests.Create request) {
    if (request == null) {
      throw new BadRequestException("body: required, {\"name\", \"modelId\", \"computeType\", \"numReplicas\"}");
    }
    String name = requireName(request.name());
    ModelRecord model = requireModel(request.modelId());
    int replicas = requireReplicas(request.numReplicas(), 1);
    ComputeType computeType = ComputeType.parse(request.computeType());
    boolean ssl = Boolean.TRUE.equals(request.sslEnabled());
    if (ssl) {
      requirePem("sslCertificate", request.sslCertificate(), "sslEnabled: true needs both sslCertificate and sslKey (PEM)");
      requirePem("sslKey", request.sslKey(), "sslEnabled: true needs both sslCertificate and sslKey (PEM)");
      requireLoadable(request.sslCertificate(), request.sslKey());
    }
    ServiceKeys keys = request.keys() == null ? ServiceKeys.generate() : requireKeys(request.keys());
    String serviceId = "svc-" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    String operationId = UUID.randomUUID().toString();
    List<String> replicaIds = replicaIds(operationId, 0, replicas);
    Instant now = clock.instant();
    DeploymentStore.ServiceRow row = new DeploymentStore.ServiceRow(serviceId, name, model.id(), null, replicas, computeType,
        ssl, "Creating", List.of(), operationId, keys, ssl ? request.sslCertificate() : null, ssl ? request.sslKey() : null,
        now, now, null);
    DeploymentStore.OperationRow operation = new DeploymentStore.OperationRow(operationId, "Create", "NotStarted", serviceId,
        name, now, null, Steps.PROVISION, null, now.plus(settings.deploymentTimeout()),
        new DeploymentStore.Plan(replicaIds, List.of(), model.id(), replicas), null);
    // The operation first: a service is never recorded without the operation that builds it.
    store.createOperation(operation);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (store.idOfName(name).isPresent()) {
        throw new ConflictException("ServiceNameInUse", "service name '" + name + "' is in use; choose another or delete it first",
            List.of(), null);
      }
      List<String> slots = computeType.accelerated() ? freeSlots(replicas, name) : List.of();
      if (store.create(row, slots, slots.isEmpty() ? List.of() : replicaIds)) {
        enqueue(operationId, Steps.PROVISION, 0, Duration.ZERO);
        return new Accepted(operation.view(), row.view());
      }
    }
    throw new ConflictException("service '" + name + "' could not be recorded: too many changes at once; try again");
  }

  /** {@code PUT /api/services/{id}}: another model and/or replica count; new replicas are ready before old ones stop. */
  public Accepted update(String idOrName, ServiceRequests.Update request) {
    if (request == null || request.modelId() == null && request.numReplicas() == null) {
      throw new BadRequestException("body: give modelId and/or numReplicas, what may change");
    }
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      DeploymentStore.ServiceRow row = row(idOrName);
      requireIdle(row);
      requireNothingStopping(row);
      String modelId = request.modelId() == null ? row.modelId() : requireModel(request.modelId()).id();
      int replicas = requireReplicas(request.numReplicas(), row.numReplicas());
      // A failed service runs nothing: asking it for what it was asked before starts that again.
      if (modelId.equals(row.modelId()) && replicas == row.numReplicas() && !"Failed".equals(row.state())) {
        throw new BadRequestException("body: service '" + row.name() + "' already runs " + modelId + " on " + replicas
            + " replica(s); nothing to change");
      }
      String operationId = UUID.randomUUID().toString();
      List<String> current = row.replicas().stream().map(DeploymentStore.ReplicaRow::id).toList();
      List<String> start;
      List<String> stop;
      if (!modelId.equals(row.modelId())) {
        start = replicaIds(operationId, 0, replicas);
        stop = current;
      } else if (replicas > current.size()) {
        start = replicaIds(operationId, current.size(), replicas - current.size());
        stop = List.of();
      } else {
        start = List.of();
        stop = current.subList(replicas, current.size());
      }
      Instant now = clock.instant();
      DeploymentStore.OperationRow operation = new DeploymentStore.OperationRow(operationId, "Update", "NotStarted",
          row.id(), row.name(), now, null, Steps.PROVISION, null, now.plus(settings.deploymentTimeout()),
          new DeploymentStore.Plan(start, stop, modelId, replicas), null);
      List<String> slots = row.computeType().accelerated() && !start.isEmpty() ? freeSlots(start.size(), row.name()) : List.of();
      store.createOperation(operation);
      DeploymentStore.ServiceRow updating = row.withState("Updating").withOperation(operationId)
          .withModel(row.modelId(), modelId.equals(row.modelId()) ? null : modelId, row.numReplicas());
      if (store.update(updating, slots, slots.isEmpty() ? List.of() : start, List.of())) {
        enqueue(operationId, Steps.PROVISION, 0, Duration.ZERO);
        return new Accepted(operation.view(), updating.view());
      }
    }
    throw new ConflictException("service '" + idOrName + "' kept changing while it was updated; try again");
  }

  /** {@code DELETE /api/services/{id}}: stops every replica and removes the service. */
  public Accepted delete(String idOrName) {
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      DeploymentStore.ServiceRow row = row(idOrName);
      if ("Deleting".equals(row.state())) {
        DeploymentStore.OperationRow running = store.operation(row.operationId()).orElseThrow();
        return new Accepted(running.view(), row.view());
      }
      requireIdle(row);
      String operationId = UUID.randomUUID().toString();
      Instant now = clock.instant();
      List<String> replicas = row.replicas().stream().map(DeploymentStore.ReplicaRow::id).toList();
      DeploymentStore.OperationRow operation = new DeploymentStore.OperationRow(operationId, "Delete", "NotStarted", row.id(),
          row.name(), now, null, Steps.TEARDOWN, null, now.plus(settings.deploymentTimeout()),
          new DeploymentStore.Plan(List.of(), replicas, row.modelId(), 0), null);
      store.createOperation(operation);
      DeploymentStore.ServiceRow deleting = row.withState("Deleting").withOperation(operationId);
      if (store.update(deleting)) {
        enqueue(operationId, Steps.TEARDOWN, 0, Duration.ZERO);
        return new Accepted(operation.view(), deleting.view());
      }
    }
    throw new ConflictException("service '" + idOrName + "' kept changing while it was deleted; try again");
  }

  /** {@code GET /api/services/{id}}: by id or by name. */
  public ServiceRecord get(String idOrName) {
    return view(row(idOrName));
  }

  /** The record of a row, at the address of the provider's Service when it has one. */
  ServiceRecord view(DeploymentStore.ServiceRow row) {
    try {
      return row.view(provider.serviceAddress(row.id()).orElse(null));
    } catch (ProviderUnavailableException e) {
      // The record is still worth answering; its address falls back to a replica's.
      return row.view();
    }
  }

  /** {@code GET /api/services}: by name, {@code top} at a time, after the continuation's name. */
  public ServicePage list(int top, String continuation) {
    List<ServiceRecord> all = store.services().stream().map(this::view)
        .sorted(Comparator.comparing(ServiceRecord::name))
        .filter(s -> continuation == null || s.name().compareTo(continuation) > 0).toList();
    List<ServiceRecord> page = all.subList(0, Math.min(top, all.size()));
    return new ServicePage(page, all.size() > top ? page.get(page.size() - 1).name() : null);
  }

  /** The PEM certificate a TLS service serves with (what a client trusts), or null without TLS. */
  public String certificate(String idOrName) {
    return row(idOrName).tlsCertificate();
  }

  /** {@code GET /api/services/{id}/keys}. */
  public ServiceKeys keys(String idOrName) {
    return row(idOrName).keys();
  }

  /**
   * {@code POST /api/services/{id}/regenerateKeys}: a new primary or secondary key; every replica
   * takes it without a restart, and the old one is refused from then on.
   */
  public ServiceKeys regenerateKeys(String idOrName, ServiceRequests.RegenerateKeys request) {
    String type = request == null || request.keyType() == null ? "" : request.keyType().strip().toLowerCase(Locale.ROOT);
    if (!type.equals("primary") && !type.equals("secondary")) {
      throw new BadRequestException("keyType: must be Primary or Secondary, got '" + (request == null ? null : request.keyType()) + "'");
    }
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      DeploymentStore.ServiceRow row = row(idOrName);
      // While an operation starts replicas, they take the keys of the record as it read it: a key changed meanwhile
      // would never reach them.
      requireIdle(row);
      requireNothingStopping(row);
      ServiceKeys keys = type.equals("primary") ? new ServiceKeys(ServiceKeys.newKey(), row.keys().secondaryKey())
          : new ServiceKeys(row.keys().primaryKey(), ServiceKeys.newKey());
      // The replicas first: when the provider cannot be reached, nothing has changed and the caller
      // may try again; the record never names a key its replicas do not know.
      giveKeys(row, keys, row.keys());
      boolean saved;
      try {
        saved = store.update(row.withKeys(keys));
      } catch (RuntimeException e) {
        giveKeysBack(row, row.keys());
        throw e;
      }
      if (saved) {
        return keys;
      }
      // Changed meanwhile: the replicas get the keys of the record as it is now, and we try again.
      giveKeysBack(row, row(idOrName).keys());
    }
    throw new ConflictException("service '" + idOrName + "' kept changing while its keys were regenerated; try again");
  }

  private void giveKeys(DeploymentStore.ServiceRow row, ServiceKeys keys, ServiceKeys before) {
    List<DeploymentStore.ReplicaRow> done = new ArrayList<>();
    try {
      for (DeploymentStore.ReplicaRow replica : row.replicas()) {
        provider.updateKeys(row.id(), replica.id(), keys.both());
        done.add(replica);
      }
    } catch (RuntimeException e) {
      for (DeploymentStore.ReplicaRow replica : done) {
        try {
          provider.updateKeys(row.id(), replica.id(), before.both());
        } catch (RuntimeException again) {
          e.addSuppressed(again);
        }
      }
      throw e;
    }
  }

  /** Best effort: the replicas get {@code keys} again (a failure is logged; the record still holds them). */
  private void giveKeysBack(DeploymentStore.ServiceRow row, ServiceKeys keys) {
    for (DeploymentStore.ReplicaRow replica : row.replicas()) {
      try {
        provider.updateKeys(row.id(), replica.id(), keys.both());
      } catch (RuntimeException e) {
        LOG.warning(() -> "replica " + replica.id() + " of service '" + row.name() + "' could not get its keys back: " + e);
      }
    }
  }

  /**
   * The host is going down and its replicas with it: running services are recorded as
   * {@code Degraded} with their replicas {@code Stopped}, so that nobody is told to call a port
   * that is closed; the supervisor of the next host brings them back.
   */
  public void markStopped() {
    for (DeploymentStore.ServiceRow service : store.services()) {
      if (service.state().equals("Succeeded") || service.state().equals("Degraded")) {
        store.update(service.withState("Degraded").withReplicas(service.replicas().stream()
            .map(r -> r.with("Stopped", null, null, r.accelerator())).toList()));
      }
    }
  }

  /** {@code GET /api/operations/{id}}. */
  public OperationRecord operation(String id) {
    return store.operation(id).map(DeploymentStore.OperationRow::view)
        .orElseThrow(() -> new NotFoundException("operation '" + id + "' does not exist"));
  }

  DeploymentStore.ServiceRow row(String idOrName) {
    if (idOrName == null || idOrName.isBlank()) {
      throw new NotFoundException("service '' does not exist");
    }
    // An id first (ids are "svc-" and ten hex digits), then a name, which may look like an id too.
    Optional<DeploymentStore.ServiceRow> byId = idOrName.startsWith("svc-") ? store.service(idOrName) : Optional.empty();
    return byId.or(() -> store.idOfName(idOrName).flatMap(store::service))
        .orElseThrow(() -> new NotFoundException("service '" + idOrName + "' does not exist"));
  }

  /** Sends a step of an operation to the orchestrator, visible after {@code delay}. */
  void enqueue(String operationId, String step, int attempt, Duration delay) {
    enqueue(operationId, step, attempt, delay, null);
  }

  /**
   * Sends a step message; {@code etag}, when given, is the operation row's as the sender wrote it, and the message is
   * dropped as stale if the row was written again before it arrives ({@link DeploymentOrchestrator}).
   */
  void enqueue(String operationId, String step, int attempt, Duration delay, String etag) {
    Map<String, Object> message = new LinkedHashMap<>();
    message.put("operationId", operationId);
    message.put("step", step);
    message.put("attempt", attempt);
    if (etag != null) {
      message.put("etag", etag);
    }
    storage.queue(StorageLayout.DEPLOYMENTS_QUEUE).sendMessageWithResponse(BinaryData.fromObject(message),
        delay.isZero() ? null : delay, null, null, com.azure.core.util.Context.NONE);
  }

  /** Claims {@code count} free accelerator slots, or answers 409 QuotaExceeded saying how much is in use and by whom. */
  private List<String> freeSlots(int count, String name) {
    List<TableEntity> taken = store.slots();
    Set<String> used = taken.stream().map(TableEntity::getRowKey).collect(Collectors.toSet());
    List<String> free = new ArrayList<>();
    for (int slot = 0; slot < settings.acceleratorQuota() && free.size() < count; slot++) {
      String key = "slot:" + slot;
      if (!used.contains(key)) {
        free.add(key);
      }
    }
    if (free.size() < count) {
      Map<String, Long> byService = new TreeMap<>(taken.stream()
          .collect(Collectors.groupingBy(s -> serviceName((String) s.getProperty("ServiceId")), Collectors.counting())));
      String users = byService.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining(", "));
      throw new ConflictException("QuotaExceeded", "service '" + name + "' needs " + count + " accelerator replica(s) but "
          + taken.size() + " of " + settings.acceleratorQuota() + " are in use" + (users.isEmpty() ? "" : " (" + users + ")")
          + "; delete a service, ask for fewer replicas, use computeType CPU, or raise ACCELERATOR_QUOTA", List.of(), null);
    }
    return free;
  }

  private String serviceName(String serviceId) {
    return store.service(serviceId).map(DeploymentStore.ServiceRow::name).orElse(serviceId);
  }

  private static List<String> replicaIds(String operationId, int from, int count) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ids.add(operationId.substring(0, 8) + "-" + (from + i));
    }
    return ids;
  }

  private static void requireIdle(DeploymentStore.ServiceRow row) {
    if (List.of("Creating", "Updating", "Deleting").contains(row.state())) {
      throw new ConflictException("OperationInProgress", "service '" + row.name() + "' is " + row.state() + " (operation "
          + row.operationId() + "); wait for it to finish", List.of(), null);
    }
  }

  /** Refuses a change to a service whose last operation could not stop its replicas: only deleting it goes on. */
  private static void requireNothingStopping(DeploymentStore.ServiceRow row) {
    if (row.replicas().stream().anyMatch(r -> DeploymentOrchestrator.STOPPING.equals(r.state()))) {
      throw new ConflictException("ReplicasStopping", "service '" + row.name() + "' is " + row.state()
          + ": its operation " + row.operationId() + " could not stop its replicas; delete it", List.of(), null);
    }
  }

  private static String requireName(String name) {
    if (name == null || name.isBlank()) {
      throw new BadRequestException("name: required");
    }
    if (!DNS_NAME.matcher(name).matches()) {
      throw new BadRequestException("name: '" + name + "' must be DNS-safe: lower-case letters, digits and '-', 1 to 63,"
          + " starting and ending with a letter or digit");
    }
    if (SERVICE_ID.matcher(name).matches()) {
      throw new BadRequestException("name: '" + name + "' has the form of a service id ('svc-' and ten hex digits);"
          + " a name may not, since /api/services/{id|name} takes either");
    }
    return name;
  }

  private ModelRecord requireModel(String modelId) {
    if (modelId == null || modelId.isBlank()) {
      throw new BadRequestException("modelId: required, a registered model version (name:version)");
    }
    return registry.find(modelId).orElseThrow(() -> new BadRequestException("modelId: model '" + modelId
        + "' does not exist (register it first: drop it into model-uploads or POST /api/models)"));
  }

  private static int requireReplicas(Integer value, int fallback) {
    int replicas = value == null ? fallback : value;
    if (replicas < 1 || replicas > MAX_REPLICAS) {
      throw new BadRequestException("numReplicas: must be from 1 to " + MAX_REPLICAS + ", got " + replicas);
    }
    return replicas;
  }

  private static void requirePem(String field, String value, String missing) {
    if (value == null || value.isBlank()) {
      throw new BadRequestException(missing);
    }
    if (!value.contains("-----BEGIN ")) {
      throw new BadRequestException(field + ": not PEM (expected a -----BEGIN … block)");
    }
  }

  /**
   * The certificate and key loaded as a replica's gRPC server loads them, so that a PEM block with nothing valid in it
   * is refused here, not found by the replicas that fail to start.
   */
  private static void requireLoadable(String certificate, String key) {
    var cert = new java.io.ByteArrayInputStream(certificate.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    try {
      java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(cert).stream().findFirst()
          .orElseThrow(() -> new java.security.cert.CertificateException("no certificate in it"));
    } catch (java.security.cert.CertificateException e) {
      // The JDK's message names its own parser's classes: what the caller needs is which field.
      throw new BadRequestException("sslCertificate: the PEM block does not hold an X.509 certificate");
    }
    try {
      io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder.forServer(
          new java.io.ByteArrayInputStream(certificate.getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
          new java.io.ByteArrayInputStream(key.getBytes(java.nio.charset.StandardCharsets.US_ASCII))).build();
    } catch (IllegalArgumentException | javax.net.ssl.SSLException e) {
      throw new BadRequestException("sslKey: not a private key in PEM that a replica can load (PKCS#8, \"-----BEGIN"
          + " PRIVATE KEY-----\"): " + e.getMessage());
    }
  }

  private static ServiceKeys requireKeys(ServiceKeys keys) {
    if (keys.primaryKey() == null || keys.primaryKey().isBlank() || keys.secondaryKey() == null
        || keys.secondaryKey().isBlank()) {
      throw new BadRequestException("keys: give both primaryKey and secondaryKey, or neither to have them generated");
    }
    requireKey("keys.primaryKey", keys.primaryKey());
    requireKey("keys.secondaryKey", keys.secondaryKey());
    return keys;
  }

  /** A key callers send in a header (HTTP {@code Authorization}, gRPC metadata): printable ASCII, no spaces. */
  private static void requireKey(String field, String key) {
    if (key.length() > MAX_KEY_LENGTH || !key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new BadRequestException(field + ": up to " + MAX_KEY_LENGTH + " printable ASCII characters without spaces"
          + " or line breaks, as a request header carries it");
    }
  }

}
