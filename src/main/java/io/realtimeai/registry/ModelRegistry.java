package io.realtimeai.registry;

import static io.realtimeai.storage.TableValues.json;
import static io.realtimeai.storage.TableValues.parse;

import com.azure.core.http.rest.PagedResponse;
import com.azure.core.util.Context;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.models.ListEntitiesOptions;
import com.azure.data.tables.models.TableEntity;
import com.azure.data.tables.models.TableEntityUpdateMode;
import com.azure.data.tables.models.TableServiceException;
import com.azure.data.tables.models.TableTransactionAction;
import com.azure.data.tables.models.TableTransactionActionType;
import com.azure.data.tables.models.TableTransactionFailedException;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.fasterxml.jackson.core.type.TypeReference;
import io.realtimeai.error.ConflictException;
import io.realtimeai.error.NotFoundException;
import io.realtimeai.events.EventOutbox;
import io.realtimeai.events.EventType;
import io.realtimeai.events.Subjects;
import io.realtimeai.pipeline.Pipeline;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The model registry: versions 1, 2, 3 … per name in the {@code models} table, each with its
 * package in {@code models/{name}/{version}/model.zip}.
 *
 * <p>Row layout, one partition per model name (so one transaction can touch a version and its
 * upload key): {@code v0000000001 …} version rows; {@code upload-{sha256 of the upload key}}
 * rows mapping an upload (a blob and its ETag) to the version it became. A version is claimed by
 * creating its row and its upload row in one transaction: creation fails if another upload
 * took that number (the loser re-reads and takes the next) or if this upload was already
 * registered (the loser finds its version), so concurrent uploads get distinct versions and one
 * upload never gets two. The package is stored and the version marked {@code Registered}
 * afterwards; a step re-run after a crash finds its claimed version and finishes it.
 */
public final class ModelRegistry {
  private static final String VERSION_PREFIX = "v";
  private static final String UPLOAD_PREFIX = "upload-";
  private static final int MAX_CLAIM_ATTEMPTS = 100;

  /** The column of the {@code services} table naming the model a service runs. */
  public static final String SERVICE_MODEL_COLUMN = "ModelId";
  /** The column naming the model a service is being moved to (an update in progress). */
  public static final String SERVICE_PENDING_MODEL_COLUMN = "PendingModelId";

  private final Storage storage;
  private final TableClient table;
  private final EventOutbox events;
  private final Clock clock;

  public ModelRegistry(Storage storage, EventOutbox events, Clock clock) {
    this.storage = storage;
    this.table = storage.table(StorageLayout.MODELS_TABLE);
    this.events = events;
    this.clock = clock;
  }

  /**
   * Where a package comes from: the upload blob (or URL) and its version, and the key that makes
   * registering it idempotent.
   *
   * @param location {@code container/blob} or a URL
   * @param etag the source version
   * @param uploadKey the same key for the same upload, a new one for a new upload
   */
  public record Source(String location, String etag, String uploadKey) {}

  /**
   * Registers a checked package zip under {@code name}: the next version, or the version this
   * upload already became. Records {@code ModelRegistered}.
   */
  public ModelRecord register(String name, Path packageZip, String sha256, long size,
      List<Pipeline.StageSignature> stages, Source source, String description, Map<String, String> tags) {
    ModelNames.require(name);
    TableEntity claimed = claim(name, sha256, size, stages, source, description, tags);
    return finish(claimed, packageZip);
  }

  private TableEntity claim(String name, String sha256, long size, List<Pipeline.StageSignature> stages,
      Source source, String description, Map<String, String> tags) {
    String uploadRow = UPLOAD_PREFIX + sha256Hex(source.uploadKey());
    for (int attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      Optional<TableEntity> known = entity(name, uploadRow);
      if (known.isPresent()) {
        int version = ((Number) known.get().getProperty("Version")).intValue();
        return entity(name, versionRow(version)).orElseThrow(() -> new IllegalStateException(
            "upload " + source.location() + " maps to " + ModelRecord.id(name, version) + " whose row is gone"));
      }
      int version = latestVersion(name) + 1;
      TableEntity row = new TableEntity(name, versionRow(version))
          .addProperty("Id", ModelRecord.id(name, version))
          .addProperty("Name", name)
          .addProperty("Version", version)
          .addProperty("State", "Registering")
          .addProperty("Sha256", sha256)
          .addProperty("Size", size)
          .addProperty("MimeType", ModelRecord.MIME_TYPE)
          .addProperty("CreatedAt", OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC))
          .addProperty("Description", description == null ? "" : description)
          .addProperty("Tags", json(tags == null ? Map.of() : tags))
          .addProperty("Stages", json(stages))
          .addProperty("SourceBlob", source.location())
          .addProperty("SourceEtag", source.etag())
          .addProperty("UploadKey", source.uploadKey());
      TableEntity upload = new TableEntity(name, uploadRow).addProperty("Version", version)
          .addProperty("UploadKey", source.uploadKey());
      try {
        table.submitTransaction(List.of(new TableTransactionAction(TableTransactionActionType.CREATE, row),
            new TableTransactionAction(TableTransactionActionType.CREATE, upload)));
        return entity(name, versionRow(version)).orElseThrow();
      } catch (TableTransactionFailedException e) {
        // Either the number was taken or this upload was registered meanwhile: look again.
        if (e.getResponse() != null && e.getResponse().getStatusCode() >= 500) {
          throw e;
        }
      }
    }
    throw new ConflictException("could not claim a version of '" + name + "' after " + MAX_CLAIM_ATTEMPTS
        + " attempts: too many uploads of one name at once");
  }

  private ModelRecord finish(TableEntity row, Path packageZip) {
    ModelRecord claimed = record(row);
    if (!"Registered".equals(claimed.state())) {
      BlobClient blob = storage.container(StorageLayout.MODELS).getBlobClient(ModelRecord.packageBlob(claimed.name(), claimed.version()));
      blob.uploadFromFile(packageZip.toString(), true);
      blob.setHttpHeaders(new BlobHttpHeaders().setContentType(ModelRecord.MIME_TYPE));
      row.addProperty("State", "Registered");
      try {
        table.updateEntityWithResponse(row, TableEntityUpdateMode.MERGE, true, null, Context.NONE);
      } catch (TableServiceException e) {
        if (e.getResponse().getStatusCode() != 412) {
          throw e;
        }
        // Someone else finished this version meanwhile; what they stored is the same package.
      }
      claimed = record(entity(claimed.name(), versionRow(claimed.version())).orElseThrow());
    }
    // Recorded whether this call or an earlier, interrupted one did the work: the id is stable.
    events.record(EventType.MODEL_REGISTERED, Subjects.model(claimed.name(), Integer.toString(claimed.version())),
        eventData(claimed), claimed.id());
    return claimed;
  }

  /** The version {@code id} names ({@code name:version}), or the latest of {@code name}. */
  public ModelRecord get(String idOrName) {
    return find(idOrName).orElseThrow(() -> new NotFoundException("model '" + idOrName + "' does not exist"));
  }

  /** Like {@link #get}, but empty when it does not exist. */
  public Optional<ModelRecord> find(String idOrName) {
    if (idOrName == null) {
      return Optional.empty();
    }
    int colon = idOrName.lastIndexOf(':');
    if (colon > 0) {
      String name = idOrName.substring(0, colon);
      try {
        return find(name, Integer.parseInt(idOrName.substring(colon + 1)));
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    }
    if (!ModelNames.isValid(idOrName)) {
      return Optional.empty();
    }
    int latest = latestVersion(idOrName, true);
    return latest == 0 ? Optional.empty() : find(idOrName, latest);
  }

  /** Version {@code version} of {@code name}, when registered. */
  public Optional<ModelRecord> find(String name, int version) {
    if (!ModelNames.isValid(name) || version < 1) {
      return Optional.empty();
    }
    return entity(name, versionRow(version)).map(ModelRegistry::record).filter(r -> "Registered".equals(r.state()));
  }

  /** Registered models, by name then version, {@code top} at a time; {@code name} filters when given. */
  public ModelPage list(String name, int top, String continuation) {
    String filter = "RowKey ge '" + VERSION_PREFIX + "' and RowKey lt 'w' and State eq 'Registered'";
    if (name != null && !name.isBlank()) {
      filter = "PartitionKey eq '" + ModelNames.require(name) + "' and " + filter;
    }
    ListEntitiesOptions options = new ListEntitiesOptions().setFilter(filter).setTop(top);
    Iterator<PagedResponse<TableEntity>> pages =
        table.listEntities(options, null, null).iterableByPage(continuation).iterator();
    if (!pages.hasNext()) {
      return new ModelPage(List.of(), null);
    }
    PagedResponse<TableEntity> page = pages.next();
    List<ModelRecord> records = new ArrayList<>();
    page.getValue().forEach(e -> records.add(record(e)));
    return new ModelPage(records, page.getContinuationToken());
  }

  /** Changes a version's description and/or tags; absent arguments leave them as they are. */
  public ModelRecord update(String id, String description, Map<String, String> tags) {
    for (int attempt = 0; attempt < 10; attempt++) {
      ModelRecord current = get(id);
      TableEntity row = entity(current.name(), versionRow(current.version())).orElseThrow();
      if (description != null) {
        row.addProperty("Description", description);
      }
      if (tags != null) {
        row.addProperty("Tags", json(tags));
      }
      try {
        // If-Match: a concurrent change is re-read and re-applied, never overwritten.
        table.updateEntityWithResponse(row, TableEntityUpdateMode.MERGE, true, null, Context.NONE);
        return get(current.id());
      } catch (TableServiceException e) {
        if (e.getResponse().getStatusCode() != 412) {
          throw e;
        }
      }
    }
    throw new ConflictException("model '" + id + "' kept changing while it was updated; try again");
  }

  /**
   * Deletes a version and its package; refused with 409 while a service runs it. Records
   * {@code ModelDeleted}.
   */
  public ModelRecord delete(String id) {
    ModelRecord model = get(id);
    List<String> users = servicesUsing(model.id());
    if (!users.isEmpty()) {
      throw new ConflictException("ModelInUse", "model '" + model.id() + "' is used by service " + String.join(", ", users)
          + "; delete or update the service first", users, null);
    }
    storage.container(StorageLayout.MODELS).getBlobClient(ModelRecord.packageBlob(model.name(), model.version()))
        .deleteIfExists();
    TableEntity row = entity(model.name(), versionRow(model.version())).orElseThrow();
    String uploadKey = (String) row.getProperty("UploadKey");
    events.record(EventType.MODEL_DELETED, Subjects.model(model.name(), Integer.toString(model.version())),
        eventData(model), model.id() + ":deleted:" + row.getETag());
    table.deleteEntity(model.name(), versionRow(model.version()));
    if (uploadKey != null) {
      table.deleteEntity(model.name(), UPLOAD_PREFIX + sha256Hex(uploadKey));
    }
    return model;
  }

  /** The services (not deleted) whose {@code ModelId} is {@code id}. */
  public List<String> servicesUsing(String id) {
    List<String> names = new ArrayList<>();
    String quoted = "'" + id.replace("'", "''") + "'";
    ListEntitiesOptions options = new ListEntitiesOptions()
        .setFilter(SERVICE_MODEL_COLUMN + " eq " + quoted + " or " + SERVICE_PENDING_MODEL_COLUMN + " eq " + quoted);
    for (TableEntity service : storage.table(StorageLayout.SERVICES_TABLE).listEntities(options, null, null)) {
      if (!"Deleted".equals(service.getProperty("State"))) {
        Object serviceName = service.getProperty("Name");
        names.add(serviceName == null ? service.getRowKey() : serviceName.toString());
      }
    }
    return names;
  }

  /** The package zip of a version, as a blob client. */
  public BlobClient packageBlob(ModelRecord model) {
    return storage.container(StorageLayout.MODELS).getBlobClient(ModelRecord.packageBlob(model.name(), model.version()));
  }

  private int latestVersion(String name) {
    return latestVersion(name, false);
  }

  private int latestVersion(String name, boolean registeredOnly) {
    String filter = "PartitionKey eq '" + name + "' and RowKey ge '" + VERSION_PREFIX + "' and RowKey lt 'w'"
        + (registeredOnly ? " and State eq 'Registered'" : "");
    int latest = 0;
    for (TableEntity entity : table.listEntities(new ListEntitiesOptions().setFilter(filter)
        .setSelect(List.of("Version")), null, null)) {
      latest = Math.max(latest, ((Number) entity.getProperty("Version")).intValue());
    }
    return latest;
  }

  private Optional<TableEntity> entity(String partition, String row) {
    try {
      return Optional.of(table.getEntity(partition, row));
    } catch (TableServiceException e) {
      if (e.getResponse().getStatusCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private static String versionRow(int version) {
    return String.format("%s%010d", VERSION_PREFIX, version);
  }

  static ModelRecord record(TableEntity e) {
    String name = (String) e.getProperty("Name");
    int version = ((Number) e.getProperty("Version")).intValue();
    Object created = e.getProperty("CreatedAt");
    Instant createdAt = created instanceof OffsetDateTime time ? time.toInstant()
        : created == null ? null : Instant.parse(created.toString());
    return new ModelRecord(ModelRecord.id(name, version), name, version, (String) e.getProperty("State"),
        (String) e.getProperty("Sha256"), ((Number) e.getProperty("Size")).longValue(),
        "models/" + ModelRecord.packageBlob(name, version), (String) e.getProperty("MimeType"), createdAt,
        (String) e.getProperty("Description"), parse((String) e.getProperty("Tags"), new TypeReference<>() {}),
        parse((String) e.getProperty("Stages"), new TypeReference<>() {}), (String) e.getProperty("SourceBlob"),
        (String) e.getProperty("SourceEtag"));
  }

  private static Map<String, Object> eventData(ModelRecord model) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("modelId", model.id());
    data.put("name", model.name());
    data.put("version", model.version());
    data.put("sha256", model.sha256());
    data.put("url", model.url());
    return data;
  }

  static String sha256Hex(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
