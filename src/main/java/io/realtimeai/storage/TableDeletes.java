package io.realtimeai.storage;

import com.azure.data.tables.TableClient;
import com.azure.data.tables.models.TableEntity;
import com.azure.data.tables.models.TableServiceException;
import com.azure.data.tables.models.TableTransactionAction;
import com.azure.data.tables.models.TableTransactionActionType;
import com.azure.data.tables.models.TableTransactionFailedException;
import java.util.List;

/** Deleting rows that belong together. */
public final class TableDeletes {
  /** The most actions one entity-group transaction takes. */
  public static final int MAX_TRANSACTION = 100;

  private TableDeletes() {}

  /**
   * Deletes rows of one partition (at most {@link #MAX_TRANSACTION}) in one transaction. When one of them is gone
   * already, which fails a transaction as a whole, each is deleted on its own and a missing one skipped: whatever was
   * left of them is gone when this returns.
   */
  public static void deleteAll(TableClient table, String partition, List<String> rowKeys) {
    if (rowKeys.isEmpty()) {
      return;
    }
    try {
      table.submitTransaction(rowKeys.stream().map(key ->
          new TableTransactionAction(TableTransactionActionType.DELETE, new TableEntity(partition, key))).toList());
      return;
    } catch (TableTransactionFailedException e) {
      // Which row failed, and why, is in the error; deleting each on its own below says the same of any that matters.
    }
    for (String key : rowKeys) {
      try {
        table.deleteEntity(partition, key);
      } catch (TableServiceException e) {
        if (e.getResponse() == null || e.getResponse().getStatusCode() != 404) {
          throw e;
        }
      }
    }
  }
}
