package io.realtimeai.pipeline;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Lets concurrent calls share one engine run. There is no batching thread: a call that finds the
 * engine idle runs at once on its own thread (a lone caller pays one uncontended lock); calls that
 * arrive while it runs queue up, and when the run ends the oldest of them leads the next run with
 * the others that fit. Each call's rows are stacked into one input and the outputs are sliced back,
 * so every caller gets its own answer; when a shared run fails, each of its calls runs again alone,
 * so one bad input fails only its own call.
 */
final class DynamicBatcher {
  private final Batching settings;
  private final Function<Tensor, Map<String, Tensor>> engine;
  private final BufferPool buffers;

  private final ReentrantLock lock = new ReentrantLock();
  /** Signalled when a run ends: its calls are answered, and perhaps a queued call leads next. */
  private final Condition turn = lock.newCondition();
  /** Signalled when a call is queued, for a leader waiting to fill its batch. */
  private final Condition arrived = lock.newCondition();
  private final ArrayDeque<Call> queue = new ArrayDeque<>();
  private boolean busy;
  /** Rows that were running or waiting when the last run ended: what a leader may wait to gather. */
  private long demand = 1;

  private final AtomicLong runs = new AtomicLong();
  private final AtomicLong batchedRuns = new AtomicLong();

  /** One call's input, and then its answer or its failure. */
  private static final class Call {
    final Tensor input;
    final long rows;
    /** When the call reached the batcher, when the engine run that served it began, how long it took, its rows. */
    final long arrivedAt = System.nanoTime();
    long engineStartedAt;
    long engineNanos;
    long engineRows;
    boolean leading;
    boolean done;
    Map<String, Tensor> answer;
    RuntimeException failure;

    Call(Tensor input) {
      this.input = input;
      this.rows = input.shape()[0];
    }

    Map<String, Tensor> result() {
      if (failure != null) {
        throw failure;
      }
      return answer;
    }
  }

  DynamicBatcher(Batching settings, Function<Tensor, Map<String, Tensor>> engine, BufferPool buffers) {
    this.settings = settings;
    this.engine = engine;
    this.buffers = buffers;
  }

  /** Runs {@code input} (batch first), alone or with the calls queued beside it, and answers its own outputs. */
  Map<String, Tensor> run(Tensor input) {
    return run(input, new CallTimings());
  }

  /** {@link #run(Tensor)}, noting in {@code timings} how long the call waited and how long its engine run took. */
  Map<String, Tensor> run(Tensor input, CallTimings timings) {
    Call mine = new Call(input);
    try {
      return answer(mine);
    } finally {
      if (mine.engineRows > 0) {
        timings.engine(mine.engineStartedAt - mine.arrivedAt, mine.engineNanos, mine.engineRows);
      }
    }
  }

  private Map<String, Tensor> answer(Call mine) {
    lock.lock();
    try {
      if (busy) {
        queue.add(mine);
        arrived.signal();
        // Uninterruptible: a queued call may be chosen to lead, and leaving would strand the calls behind it.
        while (!mine.done && !mine.leading) {
          turn.awaitUninterruptibly();
        }
        if (mine.done) {
          return mine.result();
        }
      } else {
        busy = true;
      }
    } finally {
      lock.unlock();
    }
    lead(mine);
    return mine.result();
  }

  /** Calls waiting for the engine now. */
  int queued() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  /** Engine runs so far, and how many of them carried more than one call. */
  long[] runCounts() {
    return new long[] {runs.get(), batchedRuns.get()};
  }

  private void lead(Call first) {
    List<Call> batch = new ArrayList<>();
    batch.add(first);
    try {
      lock.lock();
      try {
        long rows = gather(batch, first.rows);
        long target = Math.min(settings.maxBatch(), demand);
        if (rows < target && settings.maxQueueDelayUs() > 0) {
          long left = TimeUnit.MICROSECONDS.toNanos(settings.maxQueueDelayUs());
          while (rows < target && left > 0) {
            try {
              left = arrived.awaitNanos(left);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              break;
            }
            rows = gather(batch, rows);
          }
        }
      } finally {
        lock.unlock();
      }
      execute(batch);
    } finally {
      // Even when the run ended in an error, every call of it is answered and the next leader chosen.
      for (Call call : batch) {
        if (call.answer == null && call.failure == null) {
          call.failure = new IllegalStateException("the engine run of a shared batch did not finish");
        }
      }
      finish(batch);
    }
  }

  /** Moves queued calls of the same item shape into {@code batch} while they fit; answers the rows now in it. */
  private long gather(List<Call> batch, long rows) {
    long[] item = Shapes.item(batch.get(0).input.shape());
    ElementType type = batch.get(0).input.type();
    for (Iterator<Call> it = queue.iterator(); it.hasNext() && rows < settings.maxBatch(); ) {
      Call call = it.next();
      if (rows + call.rows <= settings.maxBatch() && call.input.type() == type
          && Arrays.equals(Shapes.item(call.input.shape()), item)) {
        it.remove();
        batch.add(call);
        rows += call.rows;
      }
    }
    return rows;
  }

  private void execute(List<Call> batch) {
    runs.incrementAndGet();
    if (batch.size() == 1) {
      runAlone(batch.get(0));
      return;
    }
    batchedRuns.incrementAndGet();
    Call first = batch.get(0);
    long rows = batch.stream().mapToLong(c -> c.rows).sum();
    int bytes = batch.stream().mapToInt(c -> c.input.data().remaining()).sum();
    ByteBuffer stacked = buffers.take(bytes);
    Map<String, Tensor> outputs;
    try {
      for (Call call : batch) {
        stacked.put(call.input.data());
      }
      stacked.flip();
      long started = System.nanoTime();
      outputs = engine.apply(new Tensor(first.input.type(), Shapes.withBatch(rows, Shapes.item(first.input.shape())),
          stacked));
      long took = System.nanoTime() - started;
      for (Call call : batch) {
        call.engineStartedAt = started;
        call.engineNanos = took;
        call.engineRows = rows;
      }
    } catch (RuntimeException e) {
      // Which call made the shared run fail is unknown: each runs again alone and meets its own fate.
      batch.forEach(this::runAlone);
      return;
    } finally {
      buffers.give(stacked);
    }
    if (outputs.values().stream().anyMatch(t -> t.shape().length == 0 || t.shape()[0] != rows)) {
      // An output without a batch dimension cannot be split by rows: answer each call from its own run.
      batch.forEach(this::runAlone);
      return;
    }
    long offset = 0;
    for (Call call : batch) {
      call.answer = slice(outputs, offset, call.rows);
      offset += call.rows;
    }
  }

  private void runAlone(Call call) {
    long started = System.nanoTime();
    try {
      call.answer = engine.apply(call.input);
    } catch (RuntimeException e) {
      call.failure = e;
    } finally {
      call.engineStartedAt = started;
      call.engineNanos = System.nanoTime() - started;
      call.engineRows = call.rows;
    }
  }

  private void finish(List<Call> batch) {
    lock.lock();
    try {
      long queued = queue.stream().mapToLong(c -> c.rows).sum();
      demand = Math.max(1, batch.stream().mapToLong(c -> c.rows).sum() + queued);
      for (Call call : batch) {
        call.done = true;
      }
      Call next = queue.poll();
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

  private static Map<String, Tensor> slice(Map<String, Tensor> outputs, long offset, long rows) {
    Map<String, Tensor> mine = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> output : outputs.entrySet()) {
      Tensor all = output.getValue();
      long[] shape = all.shape();
      int rowBytes = Math.toIntExact(Shapes.itemElements(shape) * all.type().bytes());
      shape[0] = rows;
      ByteBuffer part = all.data().slice(Math.toIntExact(offset * rowBytes), Math.toIntExact(rows * rowBytes));
      mine.put(output.getKey(), new Tensor(all.type(), shape, part));
    }
    return mine;
  }
}
