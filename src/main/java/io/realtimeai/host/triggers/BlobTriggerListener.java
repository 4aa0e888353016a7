package io.realtimeai.host.triggers;

import static io.realtimeai.storage.TableValues.json;

import com.azure.core.util.Context;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobItemProperties;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.ListBlobsOptions;
import io.realtimeai.host.Binding;
import io.realtimeai.host.FunctionInvoker;
import io.realtimeai.host.HostConfig;
import io.realtimeai.host.InvocationContext;
import io.realtimeai.host.TriggerListener;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A blob trigger: scans its container every poll interval and runs the function once per new blob
 * version, with the Functions host's receipts ({@link BlobReceipts}) so that a version runs once
 * across restarts and across hosts sharing the storage, and an overwritten blob runs again.
 * A version that fails is retried on later scans up to {@code poisonBlobThreshold} attempts, then
 * reported on {@code webjobs-blobtrigger-poison} ({@link BlobPoisonMessage}) and never retried.
 * At most {@code maxDegreeOfParallelism} invocations run at once.
 */
public final class BlobTriggerListener implements TriggerListener {
  private static final Logger LOG = Logger.getLogger(BlobTriggerListener.class.getName());
  /** The pause between scans while each scan finds new blobs. */
  static final Duration BURST_DELAY = Duration.ofMillis(100);
  /** The least pause after a scan, in multiples of the scan's duration. */
  static final int PAUSE_PER_SCAN = 4;
  /**
   * Blobs per listing page. The service's most is 5,000, and Azurite answers each page in one turn of its single
   * thread, so every other request to it waits behind the whole page. Measured on Azurite with 5,400 images and as many
   * results stored on disk, a 2 KB upload made every 50 ms had a p99 of 104 and 132 ms with no scan beside it; beside a
   * scan pausing four times its duration, 454 and 462 ms with 5,000-blob pages and 174 and 182 ms with 500-blob pages
   * (each listing then took 10–20 % longer). What waits there are the drop folder's writes and those of HTTP scoring
   * with persist on.
   */
  public static final int LIST_PAGE = 500;
  /** How long a stop waits for interrupted invocations to settle their receipts before it interrupts the workers. */
  static final Duration SETTLE_AFTER_INTERRUPT = Duration.ofSeconds(5);
  /** The largest blob bound to a function's parameter: the most a Java array holds. */
  static final long MAX_BOUND_BYTES = Integer.MAX_VALUE - 8;

  private final FunctionInvoker function;
  private final Storage storage;
  private final HostConfig config;
  private final Duration pollInterval;
  private final String functionName;
  private final Binding trigger;
  private final BlobPathPattern pattern;
  private final BlobContainerClient container;
  private final BlobReceipts receipts;
  private final int listPage;
  private final long maxBoundBytes;

  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicLong scans = new AtomicLong();
  /** Blobs queued or running here, so a scan never queues one twice. */
  private final Set<String> queued = ConcurrentHashMap.newKeySet();
  /** Blob name → the version known settled: spares the receipt lookup on every scan. */
  private final Map<String, String> settled = new ConcurrentHashMap<>();
  /** Blob name → the version last queued here, so that a scan tells new versions from retried ones. */
  private final Map<String, String> seenVersions = new ConcurrentHashMap<>();
  private final Set<RunningInvocation> inFlight = ConcurrentHashMap.newKeySet();
  private ScheduledExecutorService housekeeping;
  private ExecutorService workers;

  /**
   * A listener for one blob-triggered function.
   *
   * @param hostId the host id receipts are kept under: instances of one app share it
   * @param pollInterval time between container scans
   */
  public BlobTriggerListener(FunctionInvoker function, Storage storage, HostConfig config, String hostId,
      Duration pollInterval) {
    this(function, storage, config, hostId, pollInterval, LIST_PAGE, MAX_BOUND_BYTES);
  }

  /**
   * A listener that lists its container {@code listPage} blobs at a time and binds blobs of at most
   * {@code maxBoundBytes}: tests make a few blobs span pages, and a small blob too large.
   */
  BlobTriggerListener(FunctionInvoker function, Storage storage, HostConfig config, String hostId,
      Duration pollInterval, int listPage, long maxBoundBytes) {
    this.listPage = listPage;
    this.maxBoundBytes = maxBoundBytes;
    this.function = function;
    this.storage = storage;
    this.config = config;
    this.pollInterval = pollInterval;
    this.functionName = function.descriptor().name();
    this.trigger = function.descriptor().trigger();
    if (!"blobTrigger".equals(trigger.type())) {
      throw new IllegalArgumentException("function " + functionName + " is not blob-triggered: " + trigger.type());
    }
    try {
      this.pattern = BlobPathPattern.parse(trigger.string("path"));
    } catch (IllegalArgumentException e) {
      // The pattern is the app author's: say which function carries it, as a bad HTTP route does.
      throw new IllegalArgumentException("function " + functionName + ": " + e.getMessage(), e);
    }
    this.container = storage.container(pattern.container());
    this.receipts = new BlobReceipts(storage.container(StorageLayout.HOST_CONTAINER), hostId, functionName);
  }

  /** The path pattern this listener matches blobs against. */
  public BlobPathPattern pattern() {
    return pattern;
  }

  @Override
  public void start() {
    if (!running.compareAndSet(false, true)) {
      return;
    }
    storage.container(StorageLayout.HOST_CONTAINER).createIfNotExists();
    housekeeping = Executors.newScheduledThreadPool(1, Threads.named("blob-" + functionName));
    workers = Executors.newFixedThreadPool(Math.max(1, config.blobParallelism()),
        Threads.named("blob-" + functionName + "-invoke"));
    housekeeping.execute(this::scanAndReschedule);
    LOG.info(() -> "blob trigger " + functionName + " watches " + pattern + " every " + pollInterval.toMillis() + " ms");
  }

  @Override
  public void stop(Duration grace) throws InterruptedException {
    if (!running.compareAndSet(true, false)) {
      return;
    }
    // Blobs still queued see running == false and return without claiming anything.
    workers.shutdown();
    if (!workers.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
      for (RunningInvocation invocation : inFlight) {
        LOG.warning(() -> "stopping while " + invocation + " still runs: interrupted; its receipt lease lapses within "
            + BlobReceipts.LEASE_SECONDS + " s and a later scan tries the blob again");
        invocation.interrupt();
      }
      // An interrupted invocation still writes its receipt; interrupting every worker at once could cut a
      // finished one's "Succeeded" short, and that version would run again on the next start.
      if (!workers.awaitTermination(SETTLE_AFTER_INTERRUPT.toMillis(), TimeUnit.MILLISECONDS)) {
        workers.shutdownNow();
      }
    }
    housekeeping.shutdownNow();
  }

  /** Scans completed so far: tests wait on it instead of on the clock. */
  long scans() {
    return scans.get();
  }

  /**
   * Scans, then schedules the next scan: after the poll interval, or sooner while blobs keep
   * arriving (a scan that found new ones is followed {@link #BURST_DELAY} later), so that a folder
   * dropped in many uploads is not taken a poll interval at a time.
   */
  private void scanAndReschedule() {
    long start = System.nanoTime();
    int found = scan();
    if (running.get()) {
      try {
        long delay = nextScanDelay(found, Duration.ofNanos(System.nanoTime() - start), pollInterval).toMillis();
        housekeeping.schedule(this::scanAndReschedule, delay, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        // Stopped meanwhile: no more scans.
      }
    }
  }

  /**
   * The pause before the next scan: the poll interval, or {@link #BURST_DELAY} after a scan that found
   * new versions — but never less than {@link #PAUSE_PER_SCAN} times the scan's own duration. A listing
   * costs the storage account (and this host, which parses it) time in proportion to the blobs in the
   * container, so as a container grows to thousands of images the scans space out, and listing takes
   * at most a fifth of the storage's time instead of crowding out the writes and reads of the scoring
   * itself. Measured by {@code bench --soak}: with a 100 ms burst pause, a container past 5,000 blobs
   * kept Azurite listing without pause and the drop folder fell behind its arrivals; with a pause of
   * twice the scan, a CPU profile of Azurite still put 44 % of its busy time on serializing listings,
   * and the HTTP p99 of the calls sharing the machine drifted up as the container grew.
   */
  static Duration nextScanDelay(int found, Duration lastScan, Duration pollInterval) {
    Duration base = found > 0 && BURST_DELAY.compareTo(pollInterval) < 0 ? BURST_DELAY : pollInterval;
    Duration floor = lastScan.multipliedBy(PAUSE_PER_SCAN);
    return base.compareTo(floor) >= 0 ? base : floor;
  }

  /** Lists the container and queues each new version; answers how many it queued. */
  private int scan() {
    int found = 0;
    try {
      Set<String> seen = new HashSet<>();
      // Names and properties only: the listing runs over the whole container every scan, so it carries as little as it
      // can; a new version's metadata comes with its download.
      ListBlobsOptions options = new ListBlobsOptions().setPrefix(pattern.prefix().isEmpty() ? null : pattern.prefix())
          .setMaxResultsPerPage(listPage);
      for (BlobItem item : container.listBlobs(options, null)) {
        if (!running.get()) {
          return found;
        }
        seen.add(item.getName());
        var values = pattern.match(item.getName());
        if (values.isEmpty()) {
          continue;
        }
        String etag = BlobReceipts.quoted(item.getProperties().getETag());
        if (etag.equals(settled.get(item.getName())) || !queued.add(item.getName())) {
          continue;
        }
        try {
          workers.execute(() -> process(item, etag, values.get()));
          // Only a version not seen before hastens the next scan: a failing one is retried a poll interval apart.
          if (!etag.equals(seenVersions.put(item.getName(), etag))) {
            found++;
          }
        } catch (RejectedExecutionException e) {
          // Stopped during this scan: the blob was not claimed, so nothing is left behind.
          queued.remove(item.getName());
          return found;
        }
      }
      // A settled blob this listing no longer holds was deleted: its receipt goes too (an overwritten one's, see settle).
      Map<String, String> deleted = new HashMap<>();
      settled.forEach((name, etag) -> {
        if (!seen.contains(name)) {
          deleted.put(name, etag);
        }
      });
      settled.keySet().retainAll(seen);
      seenVersions.keySet().retainAll(seen);
      deleted.forEach(this::forgetLater);
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 404) {
        LOG.fine(() -> "container " + pattern.container() + " does not exist yet");
      } else {
        LOG.log(Level.WARNING, "blob trigger " + functionName + ": scanning " + pattern + " failed; next scan in "
            + pollInterval.toMillis() + " ms", e);
      }
    } catch (RuntimeException e) {
      if (!running.get()) {
        // Stopping: the listing was interrupted on purpose, and there is no next scan.
        return found;
      }
      LOG.log(Level.WARNING, "blob trigger " + functionName + ": scanning " + pattern + " failed; next scan in "
          + pollInterval.toMillis() + " ms", e);
    } finally {
      scans.incrementAndGet();
    }
    return found;
  }

  /**
   * Notes a blob version settled. The version of the same blob settled before it was overwritten: no listing holds it
   * again (a version's ETag is not reused), so its receipt goes. One blob's versions settle one after another, in the
   * order they were listed.
   */
  private void settle(String name, String etag) {
    String before = settled.put(name, etag);
    if (before != null && !before.equals(etag)) {
      forgetLater(name, before);
    }
  }

  /** Deletes the receipt of a settled version no longer listed, on the workers: the scanning thread also renews leases. */
  private void forgetLater(String name, String etag) {
    try {
      workers.execute(() -> forgetReceipt(name, etag));
    } catch (RejectedExecutionException e) {
      // Stopping: the receipt stays, as the Functions host would keep it.
    }
  }

  private void forgetReceipt(String name, String etag) {
    try {
      receipts.forget(pattern.container(), name, etag);
    } catch (RuntimeException e) {
      // It stays, as the Functions host would keep it: it only takes room.
      LOG.log(Level.FINE, e, () -> "could not delete the receipt of a version no longer listed, " + where(name));
    }
  }

  private void process(BlobItem item, String etag, Map<String, String> values) {
    String name = item.getName();
    try {
      if (!running.get()) {
        return;
      }
      InvocationContext context = new InvocationContext(functionName);
      BlobReceipts.Claim claim = receipts.claim(pattern.container(), name, etag, context.getInvocationId());
      if (claim == BlobReceipts.Claim.SETTLED) {
        settle(name, etag);
      } else if (claim.held()) {
        runClaimed(claim, context, item, etag, values);
      }
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "blob trigger " + functionName + ": could not process " + where(name) + "; a later scan"
          + " tries again", e);
    } finally {
      queued.remove(name);
    }
  }

  private void runClaimed(BlobReceipts.Claim claim, InvocationContext context, BlobItem item, String etag,
      Map<String, String> values) {
    String name = item.getName();
    int threshold = Math.max(1, config.blobPoisonThreshold());
    BlobClient blob = container.getBlobClient(name);
    if (claim.attempts() >= threshold) {
      // Every attempt began and none settled: the host went down during each. Starting another would do the same.
      poison(claim, item, etag, claim.attempts() + " attempts started and none finished (the host stopped during each)");
      return;
    }
    // Begun before the download, so that a blob that cannot be read counts its attempts and ends in poison.
    int attempt = claim.begin(context.getInvocationId());
    RunningInvocation invocation = new RunningInvocation(context, "blob " + where(name) + " (ETag " + etag + ")");
    inFlight.add(invocation);
    long renewEvery = BlobReceipts.LEASE_SECONDS * 1000L / 3;
    ScheduledFuture<?> renewal = housekeeping.scheduleAtFixedRate(() -> keepClaim(claim, invocation),
        renewEvery, renewEvery, TimeUnit.MILLISECONDS);
    Throwable failure = null;
    try {
      Downloaded blobVersion = download(blob, item, etag);
      if (blobVersion == null) {
        // This version is gone: deleted, or overwritten, and a later scan runs its successor.
        claim.release();
        return;
      }
      function.invoke(Map.of(trigger.name(), data(blobVersion.content())),
          metadata(item, etag, blobVersion.metadata(), values), context);
    } catch (RuntimeException | OutOfMemoryError e) {
      failure = e;
    } finally {
      renewal.cancel(false);
      invocation.end();
      inFlight.remove(invocation);
    }
    if (failure == null) {
      claim.succeeded();
      settle(name, etag);
      return;
    }
    String reason = failure instanceof OutOfMemoryError ? "could not hold the blob in memory: " + failure
        : failure.getMessage();
    // A blob that cannot be bound says all in its message; a function's exception needs its stack trace.
    Throwable trace = failure instanceof FunctionInvoker.BindingFailure || failure instanceof OutOfMemoryError ? null
        : failure;
    LOG.log(Level.WARNING, trace, () -> "function " + functionName + " invocation " + context.getInvocationId()
        + " failed on blob " + where(name) + " (ETag " + etag + "), attempt " + attempt + " of " + threshold + ": " + reason);
    if (attempt >= threshold) {
      poison(claim, item, etag, reason);
    } else {
      claim.failed();
    }
  }

  /**
   * The trigger's value and the blob's metadata, read in one request, If-Match the listed version; null when that
   * version is gone. A blob larger than a Java array can hold is refused before a byte is read, as the Functions
   * host cannot hand it to a Java function either.
   */
  private Downloaded download(BlobClient blob, BlobItem item, String etag) {
    Long size = item.getProperties().getContentLength();
    if (size != null && size > maxBoundBytes) {
      throw new FunctionInvoker.BindingFailure("blob " + where(item.getName()) + " is " + size + " bytes, more than the "
          + maxBoundBytes + " the host binds to a function's parameter", null);
    }
    try {
      var download = blob.downloadContentWithResponse(null, new BlobRequestConditions().setIfMatch(etag), null,
          Context.NONE);
      return new Downloaded(download.getValue().toBytes(), download.getDeserializedHeaders().getMetadata());
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 404 || e.getStatusCode() == 412) {
        return null;
      }
      throw e;
    }
  }

  /** One blob version as read: its content and its metadata. */
  private record Downloaded(byte[] content, Map<String, String> metadata) {}

  private void keepClaim(BlobReceipts.Claim claim, RunningInvocation invocation) {
    if (invocation.interruptIfOverdue(config.functionTimeout())) {
      LOG.warning(() -> invocation + " exceeded functionTimeout " + config.functionTimeout() + ": interrupted");
    }
    try {
      // Renewed even past the timeout: while the function still runs, no other host may start the same version.
      claim.renew();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "could not renew the receipt lease of " + invocation, e);
    }
  }

  private void poison(BlobReceipts.Claim claim, BlobItem item, String etag, String reason) {
    BlobItemProperties properties = item.getProperties();
    String blobType = properties.getBlobType() == null ? "BlockBlob" : properties.getBlobType().toString();
    BlobPoisonMessage message = BlobPoisonMessage.of(functionName, blobType, pattern.container(), item.getName(), etag,
        reason);
    storage.createQueue(StorageLayout.BLOB_POISON_QUEUE);
    storage.queue(StorageLayout.BLOB_POISON_QUEUE).sendMessage(json(message));
    claim.poisoned();
    settle(item.getName(), etag);
    LOG.severe(() -> "function " + functionName + ": blob " + where(item.getName()) + " (ETag " + etag + ") gave up after "
        + claim.attempts() + " attempts (" + reason + "); reported on " + StorageLayout.BLOB_POISON_QUEUE
        + " and not retried");
  }

  private Object data(byte[] content) {
    String dataType = trigger.string("dataType");
    // binary → byte[], string → String; otherwise the parameter type decides (FunctionInvoker converts the bytes).
    return "string".equalsIgnoreCase(dataType) ? new String(content, StandardCharsets.UTF_8) : content;
  }

  private Map<String, Object> metadata(BlobItem item, String etag, Map<String, String> blobMetadata,
      Map<String, String> values) {
    BlobItemProperties properties = item.getProperties();
    Map<String, Object> described = new LinkedHashMap<>();
    described.put("ContentLength", properties.getContentLength());
    described.put("ContentType", properties.getContentType());
    described.put("ETag", etag);
    described.put("LastModified", String.valueOf(properties.getLastModified()));
    described.put("BlobType", properties.getBlobType() == null ? null : properties.getBlobType().toString());
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("BlobTrigger", where(item.getName()));
    metadata.put("Uri", container.getBlobClient(item.getName()).getBlobUrl());
    metadata.put("Properties", json(described));
    metadata.put("Metadata", json(blobMetadata == null ? Map.of() : blobMetadata));
    metadata.putAll(values);
    return metadata;
  }

  private String where(String blobName) {
    return pattern.container() + "/" + blobName;
  }
}
