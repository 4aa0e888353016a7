package io.realtimeai.deployment;

import static io.realtimeai.storage.TableValues.instant;
import static io.realtimeai.storage.TableValues.json;
import static io.realtimeai.storage.TableValues.parse;
import static io.realtimeai.storage.TableValues.utc;

import com.azure.core.util.Context;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.models.ListEntitiesOptions;
import com.azure.data.tables.models.TableEntity;
import com.azure.data.tables.models.TableEntityUpdateMode;
import com.azure.data.tables.models.TableServiceException;
import com.azure.data.tables.models.TableTransactionAction;
import com.azure.data.tables.models.TableTransactionActionType;
import com.azure.data.tables.models.TableTransactionFailedException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.realtimeai.registry.ModelRegistry;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.TableDeletes;
import io.realtimeai.storage.StorageLayout;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The deployment state in Table Storage. The {@code services} table keeps everything about
 * services in one partition, so that one transaction can claim a name, write the service and
 * take quota slots together: {@code svc:{id}} rows, {@code name:{name}} claims and
 * {@code slot:{n}} rows (one per accelerator replica, the quota being the number of slots).
 * The {@code operations} table holds one row per operation. Every change is conditional on the
 * ETag read, so two orchestrator steps or two API calls never overwrite each other.
 */
final class DeploymentStore {
  static final String PARTITION = "services";
  private static final String OPERATIONS_PARTITION = "operations";
  /** Error codes of a transaction that lost a race: something was created, changed or removed meanwhile. */
  private static final List<String> CONFLICTS = List.of("EntityAlreadyExists", "UpdateConditionNotSatisfied",
      "ConditionNotMet", "ResourceNotFound", "EntityNotFound");

  private final TableClient services;
  private final TableClient operations;

  DeploymentStore(Storage storage) {
    this.services = storage.table(StorageLayout.SERVICES_TABLE);
    this.operations = storage.table(StorageLayout.OPERATIONS_TABLE);
  }

  /** A replica as the service row keeps it. */
  record ReplicaRow(String id, String state, String host, Integer port, String accelerator, String modelId) {
    ReplicaRow with(String newState, String newHost, Integer newPort, String newAccelerator) {
      return new ReplicaRow(id, newState, newHost, newPort, newAccelerator, modelId);
    }
  }

  /** A service row, with the ETag it was read with. */
  record ServiceRow(String id, String name, String modelId, String pendingModelId, int numReplicas,
      ComputeType computeType, boolean sslEnabled, String state, List<ReplicaRow> replicas, String operationId,
      ServiceKeys keys, String tlsCertificate, String tlsKey, Instant createdAt, Instant updatedAt, String etag) {
    ServiceRow {
      replicas = replicas == null ? List.of() : List.copyOf(replicas);
    }

    ServiceRow withState(String newState) {
      return new ServiceRow(id, name, modelId, pendingModelId, numReplicas, computeType, sslEnabled, newState, replicas,
          operationId, keys, tlsCertificate, tlsKey, createdAt, updatedAt, etag);
    }

    ServiceRow withReplicas(List<ReplicaRow> newReplicas) {
      return new ServiceRow(id, name, modelId, pendingModelId, numReplicas, computeType, sslEnabled, state, newReplicas,
          operationId, keys, tlsCertificate, tlsKey, createdAt, updatedAt, etag);
    }

    ServiceRow withKeys(ServiceKeys newKeys) {
      return new ServiceRow(id, name, modelId, pendingModelId, numReplicas, computeType, sslEnabled, state, replicas,
          operationId, newKeys, tlsCertificate, tlsKey, createdAt, updatedAt, etag);
    }

    ServiceRow withModel(String newModelId, String newPending, int newReplicaCount) {
      return new ServiceRow(id, name, newModelId, newPending, newReplicaCount, computeType, sslEnabled, state, replicas,
          operationId, keys, tlsCertificate, tlsKey, createdAt, updatedAt, etag);
    }

    ServiceRow withOperation(String newOperationId) {
      return new ServiceRow(id, name, modelId, pendingModelId, numReplicas, computeType, sslEnabled, state, replicas,
          newOperationId, keys, tlsCertificate, tlsKey, createdAt, updatedAt, etag);
    }

    ServiceRecord view() {
      return view(null);
    }

    /**
     * The record; its address is {@code serviceAddress} ({@code host:port}, the provider's Service in
     * front of the replicas) when given, else the first ready replica's.
     */
    ServiceRecord view(String serviceAddress) {
      ReplicaRow first = replicas.stream().filter(r -> "Ready".equals(r.state())).findFirst().orElse(null);
      String accelerator = replicas.stream().map(ReplicaRow::accelerator).filter(a -> a != null).findFirst().orElse(null);
      String host = first == null ? null : first.host();
      Integer port = first == null ? null : first.port();
      if (serviceAddress != null) {
        int colon = serviceAddress.lastIndexOf(':');
        host = serviceAddress.substring(0, colon);
        port = Integer.parseInt(serviceAddress.substring(colon + 1));
      }
      return new ServiceRecord(id, name, modelId, numReplicas, host, port, sslEnabled, state, computeType.name(), accelerator,
          replicas.stream().map(r -> new ServiceRecord.Replica(r.id(), r.host(), r.port(), r.state(), r.accelerator()))
              .toList(), operationId, createdAt, updatedAt);
    }
  }

  /** What an operation does: the replicas it starts and stops, and the model and size it leads to. */
  record Plan(List<String> start, List<String> stop, String modelId, int numReplicas) {
    Plan {
      start = start == null ? List.of() : List.copyOf(start);
      stop = stop == null ? List.of() : List.copyOf(stop);
    }
  }

  /** An operation row, with the ETag it was read with. */
  record OperationRow(String id, String type, String state, String serviceId, String serviceName, Instant createdTime,
      Instant endTime, String step, OperationRecord.Error error, Instant deadline, Plan plan, String etag,
      Instant updatedAt, String problem, Instant problemSince) {

    OperationRow(String id, String type, String state, String serviceId, String serviceName, Instant createdTime,
        Instant endTime, String step, OperationRecord.Error error, Instant deadline, Plan plan, String etag) {
      this(id, type, state, serviceId, serviceName, createdTime, endTime, step, error, deadline, plan, etag, null, null,
          null);
    }

    /** The row moved to another state or step; what went wrong at the step it leaves is forgotten. */
    OperationRow at(String newState, String newStep, OperationRecord.Error newError, Instant newEnd) {
      return new OperationRow(id, type, newState, serviceId, serviceName, createdTime, newEnd, newStep, newError,
          deadline, plan, etag, updatedAt, newStep.equals(step) ? problem : null,
          newStep.equals(step) ? problemSince : null);
    }

    /**
     * The row noting why its step failed last (it is asked again), and since when it has failed without a break, so
     * that the operation's end can say so; null for a step that ran.
     */
    OperationRow withProblem(String newProblem, Instant since) {
      return new OperationRow(id, type, state, serviceId, serviceName, createdTime, endTime, step, error, deadline, plan,
          etag, updatedAt, newProblem, newProblem == null ? null : since);
    }

    OperationRecord view() {
      return new OperationRecord(id, type, state, createdTime, endTime, "/api/services/" + serviceId, error);
    }
  }

  // ---- services ------------------------------------------------------------------------------

  Optional<ServiceRow> service(String id) {
    return one(services, PARTITION, "svc:" + id).map(DeploymentStore::serviceRow);
  }

  Optional<String> idOfName(String name) {
    return one(services, PARTITION, "name:" + name).map(e -> (String) e.getProperty("ServiceId"));
  }

  List<ServiceRow> services() {
    List<ServiceRow> rows = new ArrayList<>();
    for (TableEntity entity : services.listEntities(new ListEntitiesOptions().setFilter(
        "PartitionKey eq '" + PARTITION + "' and RowKey ge 'svc:' and RowKey lt 'svc;'"), null, null)) {
      rows.add(serviceRow(entity));
    }
    return rows;
  }

  /** The slots taken: slot index → the replica that holds it (service id and replica id). */
  List<TableEntity> slots() {
    return services.listEntities(new ListEntitiesOptions().setFilter(
        "PartitionKey eq '" + PARTITION + "' and RowKey ge 'slot:' and RowKey lt 'slot;'"), null, null).stream().toList();
  }

  /**
   * Creates a service: its name claim, its row and one slot per accelerator replica, in one
   * transaction.
   *
   * @return false when the name or a slot was taken meanwhile (the caller looks again)
   */
  boolean create(ServiceRow row, List<String> slotKeys, List<String> replicaIds) {
    List<TableTransactionAction> actions = new ArrayList<>();
    actions.add(new TableTransactionAction(TableTransactionActionType.CREATE,
        new TableEntity(PARTITION, "name:" + row.name()).addProperty("ServiceId", row.id())));
    actions.add(new TableTransactionAction(TableTransactionActionType.CREATE, serviceEntity(row, null)));
    for (int i = 0; i < slotKeys.size(); i++) {
      actions.add(new TableTransactionAction(TableTransactionActionType.CREATE, new TableEntity(PARTITION, slotKeys.get(i))
          .addProperty("ServiceId", row.id()).addProperty("ReplicaId", replicaIds.get(i))));
    }
    return transact(actions);
  }

  /**
   * Replaces a service row if it is still as read, taking and releasing slots in the same
   * transaction.
   *
   * @return false when the row (or a slot) changed meanwhile
   */
  boolean update(ServiceRow row, List<String> takeSlots, List<String> takeReplicaIds, List<String> releaseSlots) {
    List<TableTransactionAction> actions = new ArrayList<>();
    actions.add(new TableTransactionAction(TableTransactionActionType.UPDATE_REPLACE, serviceEntity(row, row.etag()), true));
    for (int i = 0; i < takeSlots.size(); i++) {
      actions.add(new TableTransactionAction(TableTransactionActionType.CREATE, new TableEntity(PARTITION, takeSlots.get(i))
          .addProperty("ServiceId", row.id()).addProperty("ReplicaId", takeReplicaIds.get(i))));
    }
    for (String slot : releaseSlots) {
      actions.add(new TableTransactionAction(TableTransactionActionType.DELETE, new TableEntity(PARTITION, slot)));
    }
    return transact(actions);
  }

  /** Replaces a service row if it is still as read. */
  boolean update(ServiceRow row) {
    return update(row, List.of(), List.of(), List.of());
  }

  /** Removes a service, its name claim and any slots it still holds. */
  void remove(ServiceRow row) {
    List<String> keys = new ArrayList<>();
    for (TableEntity slot : slots()) {
      if (row.id().equals(slot.getProperty("ServiceId"))) {
        keys.add(slot.getRowKey());
      }
    }
    // The service row last: should the rows go one by one and stop part way, a second DELETE still finds the service.
    keys.add("name:" + row.name());
    keys.add("svc:" + row.id());
    // A row of it may be gone already: whatever was left of the service is gone when this returns.
    TableDeletes.deleteAll(services, PARTITION, keys);
  }

  /** The slot keys a service holds for these replicas. */
  List<String> slotsOf(String serviceId, List<String> replicaIds) {
    return slots().stream()
        .filter(s -> serviceId.equals(s.getProperty("ServiceId")) && replicaIds.contains((String) s.getProperty("ReplicaId")))
        .map(TableEntity::getRowKey).toList();
  }

  private boolean transact(List<TableTransactionAction> actions) {
    try {
      services.submitTransaction(actions);
      return true;
    } catch (TableTransactionFailedException e) {
      // A failed transaction carries the service's error code, not always an HTTP response.
      String code = e.getValue() == null || e.getValue().getErrorCode() == null ? "" : e.getValue().getErrorCode().toString();
      if (CONFLICTS.contains(code) || e.getResponse() != null && List.of(409, 412, 404).contains(e.getResponse().getStatusCode())) {
        return false;
      }
      throw e;
    }
  }

  private static TableEntity serviceEntity(ServiceRow row, String etag) {
    TableEntity entity = new TableEntity(PARTITION, "svc:" + row.id())
        .addProperty("Id", row.id())
        .addProperty("Name", row.name())
        .addProperty(ModelRegistry.SERVICE_MODEL_COLUMN, row.modelId())
        .addProperty(ModelRegistry.SERVICE_PENDING_MODEL_COLUMN, row.pendingModelId())
        .addProperty("NumReplicas", row.numReplicas())
        .addProperty("ComputeType", row.computeType().name())
        .addProperty("SslEnabled", row.sslEnabled())
        .addProperty("State", row.state())
        .addProperty("Replicas", json(row.replicas()))
        .addProperty("OperationId", row.operationId())
        // Keys and TLS material in the table, as the Brainwave service kept them; in the cloud
        // they belong in Key Vault, which this table would then reference.
        .addProperty("PrimaryKey", row.keys().primaryKey())
        .addProperty("SecondaryKey", row.keys().secondaryKey())
        .addProperty("TlsCertificate", row.tlsCertificate())
        .addProperty("TlsKey", row.tlsKey())
        .addProperty("CreatedAt", utc(row.createdAt()))
        .addProperty("UpdatedAt", utc(Instant.now()));
    if (etag != null) {
      entity.addProperty("odata.etag", etag);
    }
    return entity;
  }

  private static ServiceRow serviceRow(TableEntity e) {
    return new ServiceRow((String) e.getProperty("Id"), (String) e.getProperty("Name"),
        (String) e.getProperty(ModelRegistry.SERVICE_MODEL_COLUMN),
        (String) e.getProperty(ModelRegistry.SERVICE_PENDING_MODEL_COLUMN),
        ((Number) e.getProperty("NumReplicas")).intValue(), ComputeType.valueOf((String) e.getProperty("ComputeType")),
        Boolean.TRUE.equals(e.getProperty("SslEnabled")), (String) e.getProperty("State"),
        parse((String) e.getProperty("Replicas"), new TypeReference<List<ReplicaRow>>() {}),
        (String) e.getProperty("OperationId"),
        new ServiceKeys((String) e.getProperty("PrimaryKey"), (String) e.getProperty("SecondaryKey")),
        (String) e.getProperty("TlsCertificate"), (String) e.getProperty("TlsKey"),
        instant(e.getProperty("CreatedAt")), instant(e.getProperty("UpdatedAt")), e.getETag());
  }

  // ---- operations ----------------------------------------------------------------------------

  Optional<OperationRow> operation(String id) {
    return one(operations, OPERATIONS_PARTITION, id).map(DeploymentStore::operationRow);
  }

  List<OperationRow> unfinishedOperations() {
    List<OperationRow> rows = new ArrayList<>();
    for (TableEntity entity : operations.listEntities(new ListEntitiesOptions().setFilter(
        "PartitionKey eq '" + OPERATIONS_PARTITION + "' and (State eq 'NotStarted' or State eq 'Running')"), null, null)) {
      rows.add(operationRow(entity));
    }
    return rows;
  }

  void createOperation(OperationRow row) {
    operations.createEntity(operationEntity(row));
  }

  /** Replaces an operation row if it is still as read; false when another step changed it first. */
  boolean update(OperationRow row) {
    try {
      operations.updateEntityWithResponse(operationEntity(row), TableEntityUpdateMode.REPLACE, true, null, Context.NONE);
      return true;
    } catch (TableServiceException e) {
      if (e.getResponse().getStatusCode() == 412 || e.getResponse().getStatusCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  /**
   * Writes {@code row} if it is unchanged since it was read; its new ETag, or null when it changed (or is gone). The
   * ETag is read back with the row, in the form every read gives (the write's response header spells it otherwise).
   */
  String write(OperationRow row) {
    return update(row) ? operation(row.id()).map(OperationRow::etag).orElse(null) : null;
  }

  private static TableEntity operationEntity(OperationRow row) {
    TableEntity entity = new TableEntity(OPERATIONS_PARTITION, row.id())
        .addProperty("Id", row.id())
        .addProperty("Type", row.type())
        .addProperty("State", row.state())
        .addProperty("ServiceId", row.serviceId())
        .addProperty("ServiceName", row.serviceName())
        .addProperty("CreatedTime", utc(row.createdTime()))
        .addProperty("EndTime", row.endTime() == null ? null : utc(row.endTime()))
        .addProperty("Step", row.step())
        .addProperty("Error", row.error() == null ? null : json(row.error()))
        .addProperty("Deadline", utc(row.deadline()))
        .addProperty("Plan", json(row.plan()))
        .addProperty("Problem", row.problem())
        .addProperty("ProblemSince", row.problemSince() == null ? null : utc(row.problemSince()));
    if (row.etag() != null) {
      entity.addProperty("odata.etag", row.etag());
    }
    return entity;
  }

  private static OperationRow operationRow(TableEntity e) {
    return new OperationRow((String) e.getProperty("Id"), (String) e.getProperty("Type"), (String) e.getProperty("State"),
        (String) e.getProperty("ServiceId"), (String) e.getProperty("ServiceName"), instant(e.getProperty("CreatedTime")),
        instant(e.getProperty("EndTime")), (String) e.getProperty("Step"),
        parse((String) e.getProperty("Error"), new TypeReference<OperationRecord.Error>() {}),
        instant(e.getProperty("Deadline")), parse((String) e.getProperty("Plan"), new TypeReference<Plan>() {}),
        e.getETag(), e.getTimestamp() == null ? null : e.getTimestamp().toInstant(), (String) e.getProperty("Problem"),
        instant(e.getProperty("ProblemSince")));
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static Optional<TableEntity> one(TableClient table, String partition, String row) {
    // A query rather than a point read: an absent row is an empty answer, not an exception.
    return table.listEntities(new ListEntitiesOptions().setFilter("PartitionKey eq '" + partition + "' and RowKey eq '"
        + row.replace("'", "''") + "'"), null, null).stream().findFirst();
  }
}
