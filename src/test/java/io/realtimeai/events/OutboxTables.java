package io.realtimeai.events;

import com.azure.data.tables.TableClient;
import io.realtimeai.storage.Storage;
import java.util.concurrent.atomic.AtomicInteger;

/** A fresh outbox table per test, so that tests sharing one Azurite never see each other's events. */
final class OutboxTables {
  private static final AtomicInteger NEXT = new AtomicInteger();

  private OutboxTables() {}

  /** A new, empty table. */
  static TableClient fresh(Storage storage) {
    TableClient table = storage.table("eventsTest" + NEXT.incrementAndGet());
    table.createTable();
    return table;
  }
}
