package io.realtimeai.storage;

import com.azure.data.tables.TableClient;
import com.azure.data.tables.models.TableEntity;
import com.azure.data.tables.models.TableTransactionAction;
import com.azure.data.tables.models.TableTransactionActionType;
import com.azure.data.tables.models.TableTransactionFailedException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Creates rows of one table the way a group commit does: rows that threads create at the same time
 * in the same partition go to Table Storage in one entity group transaction, instead of a request
 * each. There is no batching thread and no waiting on purpose: a caller that finds nothing being
 * written writes its rows at once; callers that arrive meanwhile queue, and the oldest of them
 * then writes every queued set of its partition in one transaction (up to the service's 100 rows
 * and, here, about 2 MB). Each caller's set stays all or nothing, as on its own: when a shared
 * transaction fails (one set's row exists already, say), each set is written again alone and gets
 * its own answer — a single row by {@link TableClient#createEntity}, several by a transaction of
 * their own — so callers see exactly the exceptions they would see writing alone.
 */
public final class TableBatcher {
  /** Table Storage's limit on the actions of one transaction. */
  static final int MAX_ROWS = 100;
  /** Well under the 4 MiB a transaction's body may take, counting two bytes a character. */
  static final long MAX_BYTES = 2L << 20;

  private final TableClient table;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition turn = lock.newCondition();
  private final ArrayDeque<Rows> queue = new ArrayDeque<>();
  private boolean busy;
  private long transactions;
  private long sets;

  public TableBatcher(TableClient table) {
    this.table = table;
  }

  /** One caller's rows, and then what became of them. */
  private static final class Rows {
    final String partition;
    /** Makes the rows when they are about to be written, or null for rows given as they are. */
    final Supplier<List<TableEntity>> maker;
    List<TableEntity> rows;
    long bytes;
    boolean leading;
    boolean done;
    RuntimeException failure;

    Rows(List<TableEntity> rows) {
      this.partition = rows.get(0).getPartitionKey();
      this.maker = null;
      take(rows);
    }

    Rows(String partition, Supplier<List<TableEntity>> maker) {
      this.partition = partition;
      this.maker = maker;
    }

    /** The rows as they are to be written now: made again each time a transaction is about to take them. */
    void make() {
      if (maker != null) {
        take(maker.get());
      }
    }

    private void take(List<TableEntity> made) {
      if (made.isEmpty() || made.size() > MAX_ROWS) {
        throw new IllegalArgumentException("1 to " + MAX_ROWS + " rows are created together, not " + made.size());
      }
      for (TableEntity row : made) {
        if (!row.getPartitionKey().equals(partition)) {
          throw new IllegalArgumentException("rows created together share one partition: " + partition + ", "
              + row.getPartitionKey());
        }
      }
      this.rows = List.copyOf(made);
      this.bytes = made.stream().mapToLong(TableBatcher::estimate).sum();
    }
  }

  /**
   * Creates {@code rows} (one partition, at most {@value #MAX_ROWS}), all or none, perhaps in one
   * transaction with other callers' rows.
   *
   * @throws com.azure.data.tables.models.TableServiceException as writing them alone would: a
   *     single row that exists fails with 409, a set with a {@link TableTransactionFailedException}
   */
  public void create(List<TableEntity> rows) {
    if (rows.isEmpty() || rows.size() > MAX_ROWS) {
      throw new IllegalArgumentException("1 to " + MAX_ROWS + " rows are created together, not " + rows.size());
    }
    create(new Rows(rows));
  }

  /**
   * As {@link #create(List)}, with rows made by {@code maker} (in {@code partition}) just before the transaction that
   * writes them, in the order the transactions commit: rows whose keys are taken from the clock there sort in the
   * order they become visible. {@code maker} runs once per try (again if a transaction could not take them), under
   * this batcher's turn: it must be quick.
   */
  public void create(String partition, Supplier<List<TableEntity>> maker) {
    create(new Rows(partition, maker));
  }

  private void create(Rows mine) {
    lock.lock();
    try {
      if (busy) {
        queue.add(mine);
        while (!mine.done && !mine.leading) {
          turn.awaitUninterruptibly();
        }
        if (mine.done) {
          if (mine.failure != null) {
            throw mine.failure;
          }
          return;
        }
      }
      busy = true;
    } finally {
      lock.unlock();
    }
    lead(mine);
  }

  /** Callers queued behind the one writing now: tests wait on it instead of on the clock. */
  int waiting() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  /** Transactions sent so far, and the callers' sets they carried: tests and the bench look at the ratio. */
  public long[] counts() {
    lock.lock();
    try {
      return new long[] {transactions, sets};
    } finally {
      lock.unlock();
    }
  }

  /** Writes {@code first} with the queued sets of its partition, answers them, and hands the lead on. */
  private void lead(Rows first) {
    List<Rows> batch = new ArrayList<>();
    boolean tried = false;
    try {
      lock.lock();
      try {
        first.make();
        batch.add(first);
        int count = first.rows.size();
        long bytes = first.bytes;
        for (Iterator<Rows> it = queue.iterator(); it.hasNext() && count < MAX_ROWS; ) {
          Rows next = it.next();
          if (!next.partition.equals(first.partition)) {
            continue;
          }
          try {
            next.make();
          } catch (RuntimeException | Error e) {
            // That caller is told, and the others go on.
            next.failure = e instanceof RuntimeException failure ? failure
                : new IllegalStateException("its rows could not be made: " + e, e);
            next.done = true;
            it.remove();
            turn.signalAll();
            continue;
          }
          if (count + next.rows.size() > MAX_ROWS || bytes + next.bytes > MAX_BYTES) {
            break;
          }
          batch.add(next);
          it.remove();
          count += next.rows.size();
          bytes += next.bytes;
        }
      } catch (RuntimeException e) {
        first.failure = e;
      } finally {
        lock.unlock();
      }
      if (!batch.isEmpty()) {
        tried = true;
        try {
          write(batch);
        } catch (RuntimeException | Error e) {
          // Written or not, nobody can say: each caller is told so, and may write again (creating is conditional).
          for (Rows rows : batch) {
            if (rows.failure == null) {
              rows.failure = new IllegalStateException("rows perhaps not written: " + e, e);
            }
          }
          throw e;
        }
      }
    } finally {
      // Whatever happened above (an Error included), the sets taken are answered and the lead is handed on: a lead
      // kept would leave every later caller waiting.
      lock.lock();
      try {
        for (Rows rows : batch) {
          if (!tried && rows.failure == null) {
            // Left before the write (an Error making a set): not written.
            rows.failure = new IllegalStateException("rows not written: the transaction could not be made");
          }
          rows.done = true;
        }
        first.done = true;
        Rows next = queue.poll();
        if (next != null) {
          next.leading = true;
        } else {
          busy = false;
        }
        turn.signalAll();
      } finally {
        lock.unlock();
      }
    }
    if (first.failure != null) {
      throw first.failure;
    }
  }

  private void write(List<Rows> batch) {
    if (batch.size() > 1) {
      List<TableTransactionAction> actions = new ArrayList<>();
      batch.forEach(rows -> rows.rows.forEach(row ->
          actions.add(new TableTransactionAction(TableTransactionActionType.CREATE, row))));
      try {
        table.submitTransaction(actions);
        count(batch.size());
        return;
      } catch (TableTransactionFailedException e) {
        // One set failed the whole transaction (nothing was written): each is written alone below.
      } catch (RuntimeException e) {
        // The same for any failure: every set gets the answer it would get alone.
      }
    }
    for (Rows rows : batch) {
      try {
        if (rows.rows.size() == 1) {
          table.createEntity(rows.rows.get(0));
        } else {
          table.submitTransaction(rows.rows.stream()
              .map(row -> new TableTransactionAction(TableTransactionActionType.CREATE, row)).toList());
        }
        count(1);
      } catch (RuntimeException e) {
        rows.failure = e;
      }
    }
  }

  private void count(int carried) {
    lock.lock();
    try {
      transactions++;
      sets += carried;
    } finally {
      lock.unlock();
    }
  }

  /** A row's size in a transaction's body, roughly: two bytes a character of its keys, names and values. */
  private static long estimate(TableEntity row) {
    long bytes = 2L * (row.getPartitionKey().length() + row.getRowKey().length()) + 64;
    for (var property : row.getProperties().entrySet()) {
      bytes += 2L * property.getKey().length() + 16;
      if (property.getValue() instanceof CharSequence text) {
        bytes += 2L * text.length();
      } else if (property.getValue() instanceof byte[] binary) {
        bytes += binary.length * 4L / 3 + 4;
      } else {
        bytes += 32;
      }
    }
    return bytes;
  }
}
