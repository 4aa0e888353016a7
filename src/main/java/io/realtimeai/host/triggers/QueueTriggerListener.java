package io.realtimeai.host.triggers;

import static io.realtimeai.storage.TableValues.json;

import com.azure.core.util.Context;
import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.QueueClientBuilder;
import com.azure.storage.queue.models.QueueMessageItem;
import com.azure.storage.queue.models.QueueStorageException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.realtimeai.host.Binding;
import io.realtimeai.host.FunctionInvoker;
import io.realtimeai.host.HostConfig;
import io.realtimeai.host.InvocationContext;
import io.realtimeai.host.TriggerListener;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageRequests;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A queue trigger with the Functions host's semantics: receives up to {@code batchSize} messages,
 * runs them concurrently, receives again when those in flight drop to {@code newBatchThreshold}
 * (so at most {@code batchSize + newBatchThreshold} run at once), and backs off exponentially from
 * 100 ms to {@code maxPollingInterval} while the queue is empty. A message that succeeds is
 * deleted; one that fails becomes visible again after {@code visibilityTimeout}, and once it has
 * been dequeued {@code maxDequeueCount} times it moves to {@code {queue}-poison}, wrapped in a
 * {@link QueuePoisonMessage} that says why. A message that is not base64, or whose JSON does not
 * bind to the parameter, fails like any other: retried, then poisoned, never dropped.
 */
public final class QueueTriggerListener implements TriggerListener {
  private static final Logger LOG = Logger.getLogger(QueueTriggerListener.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long FIRST_POLL_DELAY_MS = 100;
  /** The most messages one receive may ask for (a Storage limit). */
  private static final int MAX_BATCH = 32;
  /**
   * How long a received message stays invisible; renewed every third of it while its invocation
   * runs, so a slow function keeps its message and a crashed host gives it back within a minute.
   */
  static final Duration DEFAULT_LEASE = Duration.ofMinutes(1);
  /** How long a stop tries to give back each message still in flight, retries included. */
  static final Duration ABANDON_TIMEOUT = Duration.ofSeconds(5);

  private final FunctionInvoker function;
  private final Storage storage;
  private final HostConfig config;
  private final Duration lease;
  private final String functionName;
  private final Binding trigger;
  private final String queueName;
  private final QueueClient queue;
  private final int batchSize;
  private final int newBatchThreshold;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Set<Delivery> inFlight = ConcurrentHashMap.newKeySet();
  private final AtomicLong renewals = new AtomicLong();
  private final AtomicLong receives = new AtomicLong();
  private volatile boolean running;
  private int inFlightCount;
  /** Set by {@link #wake}: the poller's pause ends, and its back-off starts over. */
  private boolean woken;
  private Thread poller;
  private ExecutorService workers;
  private ScheduledExecutorService housekeeping;

  /** A listener for one queue-triggered function. */
  public QueueTriggerListener(FunctionInvoker function, Storage storage, HostConfig config) {
    this(function, storage, config, DEFAULT_LEASE);
  }

  /** As above, with the visibility a received message gets while it runs (tests shorten it). */
  QueueTriggerListener(FunctionInvoker function, Storage storage, HostConfig config, Duration lease) {
    this.function = function;
    this.storage = storage;
    this.config = config;
    this.lease = lease;
    this.functionName = function.descriptor().name();
    this.trigger = function.descriptor().trigger();
    if (!"queueTrigger".equals(trigger.type())) {
      throw new IllegalArgumentException("function " + functionName + " is not queue-triggered: " + trigger.type());
    }
    this.queueName = trigger.string("queueName");
    if (queueName == null || queueName.isBlank()) {
      throw new IllegalArgumentException("function " + functionName + ": queueTrigger has no queueName");
    }
    // Received without the SDK's base64 decoding: a message that is not base64 must reach our failure
    // handling (retry, then poison) instead of failing the whole receive and looping forever.
    this.queue = new QueueClientBuilder().connectionString(storage.connectionString()).queueName(queueName)
        .addPolicy(StorageRequests.app().policy("queue")).buildClient();
    this.batchSize = Math.max(1, Math.min(MAX_BATCH, config.queueBatchSize()));
    this.newBatchThreshold = Math.max(0, config.queueNewBatchThreshold());
  }

  /** The queue this listener drains. */
  public String queueName() {
    return queueName;
  }

  /** The poison queue of {@code queue}. */
  public static String poisonQueueName(String queue) {
    return queue + "-poison";
  }

  @Override
  public void start() {
    lock.lock();
    try {
      if (running) {
        return;
      }
      running = true;
    } finally {
      lock.unlock();
    }
    workers = Executors.newFixedThreadPool(batchSize + newBatchThreshold, Threads.named("queue-" + functionName + "-invoke"));
    housekeeping = Executors.newScheduledThreadPool(1, Threads.named("queue-" + functionName + "-lease"));
    poller = Threads.named("queue-" + functionName + "-poll").newThread(this::poll);
    poller.start();
    LOG.info(() -> "queue trigger " + functionName + " polls " + queueName + " (batchSize " + batchSize
        + ", newBatchThreshold " + newBatchThreshold + ", maxDequeueCount " + config.maxDequeueCount() + ")");
  }

  @Override
  public void stop(Duration grace) throws InterruptedException {
    long deadline = System.nanoTime() + grace.toNanos();
    lock.lock();
    try {
      if (!running) {
        return;
      }
      running = false;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    // A receive under way finishes; what it got is dispatched and counts as in flight.
    poller.join(Math.max(1, grace.toMillis()));
    lock.lock();
    try {
      long left = deadline - System.nanoTime();
      while (inFlightCount > 0 && left > 0) {
        left = changed.awaitNanos(left);
      }
    } finally {
      lock.unlock();
    }
    // Released side by side, each within ABANDON_TIMEOUT: with the storage unreachable, one by one under the client's
    // retries, a stop would take minutes; what is not released becomes visible again when its lease lapses.
    // The lease renewals stop first: one waiting on the storage holds its delivery, and the release with it.
    housekeeping.shutdownNow();
    List<Thread> releasing = new ArrayList<>();
    for (Delivery delivery : inFlight) {
      LOG.warning(() -> "stopping while " + delivery.invocation + " still runs: interrupted, and the message is"
          + " released to become visible again after " + config.visibilityTimeout());
      Thread thread = new Thread(delivery::abandon, "queue-" + functionName + "-release");
      thread.start();
      releasing.add(thread);
    }
    for (Thread thread : releasing) {
      thread.join();
    }
    workers.shutdownNow();
    housekeeping.shutdownNow();
  }

  /** False once a stop began: no message is received after that. */
  boolean running() {
    return running;
  }

  /**
   * Polls at once, if the poller is waiting out an empty queue's back-off: a message was just sent
   * to the queue by this host ({@link io.realtimeai.host.OutputBindings}).
   */
  public void wake() {
    lock.lock();
    try {
      woken = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Receive requests so far, empty ones included: tests wait on it instead of on the clock. */
  long receives() {
    return receives.get();
  }

  /** Visibility extensions of running messages so far: tests wait on it instead of on the clock. */
  long renewals() {
    return renewals.get();
  }

  private void poll() {
    long delay = firstPollDelay();
    while (running) {
      try {
        if (!awaitCapacity()) {
          return;
        }
        List<QueueMessageItem> batch = receive();
        if (batch.isEmpty()) {
          delay = pause(delay) ? firstPollDelay()
              : Math.min(delay * 2, Math.max(firstPollDelay(), config.maxPollingInterval().toMillis()));
          continue;
        }
        delay = firstPollDelay();
        for (QueueMessageItem item : batch) {
          dispatch(item);
        }
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "queue trigger " + functionName + ": polling " + queueName + " failed; trying again in "
            + delay + " ms", e);
        pause(delay);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private long firstPollDelay() {
    return Math.max(1, Math.min(FIRST_POLL_DELAY_MS, config.maxPollingInterval().toMillis()));
  }

  // Fetch again only when those in flight drop to newBatchThreshold, as the Functions host does.
  private boolean awaitCapacity() throws InterruptedException {
    lock.lock();
    try {
      while (running && inFlightCount > newBatchThreshold) {
        changed.await();
      }
      return running;
    } finally {
      lock.unlock();
    }
  }

  /** Waits {@code millis}, or less when woken; answers whether it was woken. */
  private boolean pause(long millis) {
    lock.lock();
    try {
      long left = TimeUnit.MILLISECONDS.toNanos(millis);
      while (running && left > 0 && !woken) {
        left = changed.awaitNanos(left);
      }
      boolean wasWoken = woken;
      woken = false;
      return wasWoken;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      lock.unlock();
    }
  }

  private List<QueueMessageItem> receive() {
    receives.incrementAndGet();
    try {
      List<QueueMessageItem> batch = new ArrayList<>();
      queue.receiveMessages(batchSize, lease, null, null).forEach(batch::add);
      return batch;
    } catch (QueueStorageException e) {
      if (e.getStatusCode() == 404) {
        // Like the Functions host, wait for the queue to appear rather than create it.
        return List.of();
      }
      throw e;
    }
  }

  private void dispatch(QueueMessageItem item) {
    lock.lock();
    try {
      inFlightCount++;
    } finally {
      lock.unlock();
    }
    try {
      workers.execute(() -> handle(item));
    } catch (RejectedExecutionException e) {
      // Stopped before it could run: nothing was attempted, so it goes straight back to the queue.
      lock.lock();
      try {
        inFlightCount--;
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      queue.updateMessage(item.getMessageId(), item.getPopReceipt(), item.getBody().toString(), Duration.ZERO);
    }
  }

  private void handle(QueueMessageItem item) {
    InvocationContext context = new InvocationContext(functionName);
    RunningInvocation invocation = new RunningInvocation(context,
        "message " + item.getMessageId() + " of queue " + queueName + " (dequeue count " + item.getDequeueCount() + ")");
    Delivery delivery = new Delivery(item, invocation);
    inFlight.add(delivery);
    try {
      ScheduledFuture<?> renewal;
      try {
        long renewEvery = Math.max(100, lease.toMillis() / 3);
        renewal = housekeeping.scheduleAtFixedRate(delivery::keepInvisible, renewEvery, renewEvery, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        // Received as the host stops: not run, so given back as it came, its attempt not counted as a failure.
        invocation.end();
        delivery.release(Duration.ZERO);
        return;
      }
      Throwable failure = run(delivery, item, context, renewal);
      try {
        delivery.settle(failure);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "could not settle " + invocation + "; it becomes visible again when its lease lapses", e);
      }
    } finally {
      // Whatever happened above, the slot is given back: a slot kept would stop the polling once all were kept.
      inFlight.remove(delivery);
      lock.lock();
      try {
        inFlightCount--;
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * Runs the function on one delivery while keeping the message invisible; answers why it failed, or null. An
   * {@link Error} outside the function's own code (its output bindings, say, or memory) fails the attempt like an
   * exception: the message is retried, then poisoned, never left without an answer.
   */
  private Throwable run(Delivery delivery, QueueMessageItem item, InvocationContext context, ScheduledFuture<?> renewal) {
    try {
      if (item.getDequeueCount() > config.maxDequeueCount()) {
        return new IllegalStateException("dequeued " + item.getDequeueCount() + " times, more than maxDequeueCount "
            + config.maxDequeueCount() + ", and no attempt finished (the host stopped during each)");
      }
      byte[] bytes = decode(delivery.wireText);
      function.invoke(Map.of(trigger.name(), data(bytes)), metadata(item, bytes), context);
      return null;
    } catch (RuntimeException | Error e) {
      return e;
    } finally {
      renewal.cancel(false);
      delivery.invocation.end();
    }
  }


  private static byte[] decode(String wireText) {
    try {
      return Base64.getDecoder().decode(wireText.strip());
    } catch (IllegalArgumentException e) {
      throw new MalformedMessageException("message is not base64, as the Functions host expects queue messages to be: "
          + e.getMessage());
    }
  }

  private Object data(byte[] bytes) {
    String dataType = trigger.string("dataType");
    // binary → byte[], string → String; otherwise the parameter type decides (FunctionInvoker converts the bytes).
    return "string".equalsIgnoreCase(dataType) ? new String(bytes, StandardCharsets.UTF_8) : bytes;
  }

  private static Map<String, Object> metadata(QueueMessageItem item, byte[] bytes) {
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("QueueTrigger", new String(bytes, StandardCharsets.UTF_8));
    metadata.put("DequeueCount", item.getDequeueCount());
    metadata.put("Id", item.getMessageId());
    metadata.put("InsertionTime", String.valueOf(item.getInsertionTime()));
    metadata.put("ExpirationTime", String.valueOf(item.getExpirationTime()));
    metadata.put("NextVisibleTime", String.valueOf(item.getTimeNextVisible()));
    metadata.put("PopReceipt", item.getPopReceipt());
    return metadata;
  }

  /** A message that cannot even be decoded: fails, and is retried and poisoned, like any other failure. */
  static final class MalformedMessageException extends RuntimeException {
    MalformedMessageException(String message) {
      super(message);
    }
  }

  /**
   * One received message until it is settled: deleted, released for a retry, or poisoned. Renewal
   * and settlement hold its monitor, so each uses the newest pop receipt and it is settled once.
   */
  private final class Delivery {
    private final QueueMessageItem item;
    private final RunningInvocation invocation;
    private final String wireText;
    private String popReceipt;
    private boolean settled;

    Delivery(QueueMessageItem item, RunningInvocation invocation) {
      this.item = item;
      this.invocation = invocation;
      this.wireText = item.getBody() == null ? "" : item.getBody().toString();
      this.popReceipt = item.getPopReceipt();
    }

    synchronized void keepInvisible() {
      if (settled) {
        return;
      }
      if (invocation.interruptIfOverdue(config.functionTimeout())) {
        LOG.warning(() -> invocation + " exceeded functionTimeout " + config.functionTimeout() + ": interrupted");
      }
      try {
        // Renewed even past the timeout: while the function still runs, nobody else may take its message.
        // Not bounded by a timeout: a renewal the service applied after the client gave up would leave this delivery
        // with a pop receipt that no longer holds. A stop interrupts a renewal that waits on the storage instead.
        popReceipt = queue.updateMessage(item.getMessageId(), popReceipt, wireText, lease).getPopReceipt();
        renewals.incrementAndGet();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "could not extend the visibility timeout of " + invocation, e);
      }
    }

    synchronized void settle(Throwable failure) {
      if (settled) {
        return;
      }
      settled = true;
      if (failure == null) {
        queue.deleteMessage(item.getMessageId(), popReceipt);
        return;
      }
      long dequeueCount = item.getDequeueCount();
      // A message that cannot be bound says all in its message; a function's exception needs its stack trace.
      boolean bindingProblem = failure instanceof FunctionInvoker.BindingFailure
          || failure instanceof MalformedMessageException;
      LOG.log(Level.WARNING, bindingProblem ? null : failure, () -> "function " + functionName + " invocation "
          + invocation.context().getInvocationId() + " failed on message " + item.getMessageId() + " of queue "
          + queueName + ", dequeue count " + dequeueCount + " of " + config.maxDequeueCount() + ": "
          + failure.getMessage());
      if (dequeueCount >= config.maxDequeueCount()) {
        poison(failure);
        queue.deleteMessage(item.getMessageId(), popReceipt);
      } else {
        queue.updateMessage(item.getMessageId(), popReceipt, wireText, config.visibilityTimeout());
      }
    }

    void abandon() {
      invocation.interrupt();
      release(config.visibilityTimeout());
    }

    /** Gives the message back to the queue, visible again after {@code visibility}, unless it was settled. */
    synchronized void release(Duration visibility) {
      if (settled) {
        return;
      }
      settled = true;
      try {
        queue.updateMessageWithResponse(item.getMessageId(), popReceipt, wireText, visibility, ABANDON_TIMEOUT,
            Context.NONE);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "could not release " + invocation + "; it becomes visible again when its lease lapses", e);
      }
    }

    private void poison(Throwable failure) {
      String poisonQueue = poisonQueueName(queueName);
      String text = utf8(wireText);
      QueuePoisonMessage message = new QueuePoisonMessage(queueName, item.getMessageId(), item.getDequeueCount(),
          functionName, failure.getMessage(), Instant.now().toString(), text == null ? wireText : text,
          text == null ? "wire" : "text");
      storage.createQueue(poisonQueue);
      storage.queue(poisonQueue).sendMessage(json(message));
      LOG.severe(() -> "function " + functionName + ": message " + item.getMessageId() + " of queue " + queueName
          + " failed " + item.getDequeueCount() + " times; moved to " + poisonQueue + " (" + failure.getMessage() + ")");
    }
  }

  /** The message as UTF-8 text when the wire text is base64 of valid UTF-8; null otherwise. */
  private static String utf8(String wireText) {
    try {
      byte[] bytes = Base64.getDecoder().decode(wireText.strip());
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (IllegalArgumentException | CharacterCodingException e) {
      return null;
    }
  }
}
