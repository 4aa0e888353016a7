package io.realtimeai.registry;

import static io.realtimeai.storage.TableValues.instant;
import static io.realtimeai.storage.TableValues.utc;

import com.azure.core.util.Context;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.models.ListEntitiesOptions;
import com.azure.data.tables.models.TableEntity;
import com.azure.data.tables.models.TableEntityUpdateMode;
import com.azure.data.tables.models.TableServiceException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import java.util.List;
import java.util.Optional;

/**
 * The {@code uploads} table: one row per upload name. Writes are conditional on the ETag read,
 * so a status computed from an older view of the upload never overwrites a newer one.
 */
final class UploadTracker {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ROW = "status";

  private final TableClient table;

  UploadTracker(Storage storage) {
    this.table = storage.table(StorageLayout.UPLOADS_TABLE);
  }

  /** A status and the row it was read from (null when there is none yet), which carries its ETag. */
  record Read(UploadStatus status, TableEntity row) {}

  /** The status of {@code name}, as read now. */
  Read read(String name) {
    List<TableEntity> rows = table.listEntities(new ListEntitiesOptions()
        .setFilter("PartitionKey eq '" + partition(name).replace("'", "''") + "' and RowKey eq '" + ROW + "'"), null, null)
        .stream().toList();
    if (rows.isEmpty()) {
      return new Read(null, null);
    }
    TableEntity row = rows.get(0);
    return new Read(status(row), row);
  }

  /** The status of {@code name}, if it has one. */
  Optional<UploadStatus> find(String name) {
    return Optional.ofNullable(read(name).status());
  }

  /**
   * Writes {@code status} if the row is still as {@code read} saw it.
   *
   * @return false when another writer changed it first (the caller looks again)
   */
  boolean write(Read read, UploadStatus status) {
    TableEntity row = read.row() != null ? read.row() : new TableEntity(partition(status.name()), ROW);
    row.addProperty("Name", status.name())
        .addProperty("State", status.state())
        .addProperty("ModelId", status.modelId())
        .addProperty("Missing", json(status.missing()))
        .addProperty("Reasons", json(status.reasons()))
        .addProperty("Source", status.source())
        .addProperty("UploadKey", status.uploadKey())
        .addProperty("PendingSince", status.pendingSince() == null ? null : utc(status.pendingSince()))
        .addProperty("UpdatedAt", utc(status.updatedAt()));
    try {
      if (read.row() == null) {
        table.createEntity(row);
      } else {
        // The row read carries its ETag: If-Match makes a write from a stale view fail instead.
        table.updateEntityWithResponse(row, TableEntityUpdateMode.REPLACE, true, null, Context.NONE);
      }
      return true;
    } catch (TableServiceException e) {
      int code = e.getResponse().getStatusCode();
      if (code == 409 || code == 412) {
        return false;
      }
      throw e;
    }
  }

  // Table keys may not hold '/', '\', '#', '?' or control characters; names that do are refused anyway.
  private static String partition(String name) {
    return name.replaceAll("[/\\\\#?\\p{Cntrl}]", "_");
  }

  private static UploadStatus status(TableEntity row) {
    return new UploadStatus((String) row.getProperty("Name"), (String) row.getProperty("State"),
        (String) row.getProperty("ModelId"), list((String) row.getProperty("Missing")),
        list((String) row.getProperty("Reasons")), (String) row.getProperty("Source"),
        (String) row.getProperty("UploadKey"), instant(row.getProperty("PendingSince")),
        instant(row.getProperty("UpdatedAt")));
  }

  private static String json(List<String> values) {
    try {
      return JSON.writeValueAsString(values);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> list(String json) {
    if (json == null || json.isBlank()) {
      return List.of();
    }
    try {
      return JSON.readValue(json, new TypeReference<>() {});
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable upload status: " + e.getOriginalMessage(), e);
    }
  }
}
