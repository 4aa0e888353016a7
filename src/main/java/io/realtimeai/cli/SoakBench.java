package io.realtimeai.cli;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.models.ListBlobsOptions;
import io.realtimeai.app.App;
import io.realtimeai.app.AppSettings;
import io.realtimeai.app.Retention;
import io.realtimeai.bench.Benchmark;
import io.realtimeai.bench.BlockingHttpClient;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.host.triggers.BlobTriggerListener;
import io.realtimeai.host.triggers.QueueTriggerListener;
import io.realtimeai.scoring.PredictBatcher;
import io.realtimeai.scoring.ResultStore;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.storage.StorageRequests;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.TreeSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code bench --soak DURATION}: the local stack under a steady load for a long while — HTTP
 * score calls and dropped images at a fixed rate, started on schedule whether or not earlier ones
 * have finished (an open loop, so a slow minute shows as latency rather than as fewer calls) — with
 * a line per interval: throughput, latencies, the images per Predict call of the folder's
 * scoring, errors, and the resident memory (the mean of samples every 5 s) and CPU use of the host,
 * each runtime and Azurite. It runs as a steady service would: the stack keeps results and events for
 * {@value #RETENTION_MINUTES} minute(s), and each dropped image is deleted once its result can be read,
 * so the data held stays the same size and memory that grows is a leak. It ends with the images
 * dropped against the results written (lost ones named), the growth of each process's memory after
 * the first interval, and the change of memory, CPU and p99 from the first intervals after a warm-up
 * (the first sixth of the run) to the last. Before the first interval a warm-up phase runs the same load at
 * {@value #WARM_UP_LOAD} times the rate, its lines marked {@code w}: at a few calls a second the host's JIT
 * compiler reaches the methods run once per call only after thousands of calls, which in earlier runs made the
 * first ten minutes slower than the rest. Results of images dropped in its last seconds count in the first interval.
 */
final class SoakBench {
  /** How long the soak's stack keeps results and events ({@code RETENTION_MINUTES}). */
  static final int RETENTION_MINUTES = 1;
  /** How often resident memory is sampled: each interval reports the mean, which a garbage collector's swings do not move much. */
  private static final Duration RSS_EVERY = Duration.ofSeconds(5);
  /** How often the results written are read (and their images deleted). */
  private static final Duration COLLECT_EVERY = Duration.ofSeconds(5);
  /** How many times the soak's rate the warm-up phase runs at. */
  static final int WARM_UP_LOAD = 2;
  /** Dropped images still unanswered this long after the load stops are counted lost. */
  private static final Duration DRAIN = Duration.ofMinutes(2);

  private final PrintStream out;
  private final Path work;
  private final Duration duration;
  private final Duration interval;
  /** Intervals of warm-up before the first one reported on, at {@value #WARM_UP_LOAD} times the rate. */
  private final int warmUps;
  private final double rate;
  private final ModelKind kind;

  /** One interval's figures. */
  private static final class Bucket {
    final List<Double> http = Collections.synchronizedList(new ArrayList<>());
    final List<Double> drop = Collections.synchronizedList(new ArrayList<>());
    final AtomicLong dropped = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    /** Per role, the mean resident memory of the samples taken during the interval, in MiB. */
    final Map<String, Long> rss = new LinkedHashMap<>();
    final List<Map<String, Long>> rssSamples = Collections.synchronizedList(new ArrayList<>());
    /** Per role, the share of one core its processes used over the interval, in per cent. */
    final Map<String, Double> cpu = new LinkedHashMap<>();
    /** Images per Predict call of the folder's scoring in this interval (0 when it made none). */
    double batch;
    /** How long one listing of the drop container took at the interval's end (what each of the blob trigger's scans costs). */
    double listMs;
  }

  SoakBench(PrintStream out, Path work, Duration duration, Duration interval, Duration warmUp, double rate,
      ModelKind kind) {
    this.out = out;
    this.work = work;
    this.duration = duration;
    this.interval = interval;
    this.warmUps = intervalsCovering(warmUp, interval);
    this.rate = rate;
    this.kind = kind;
  }

  /** How many intervals it takes to cover {@code span}: a warm-up is rounded up to whole intervals, 0 to none. */
  static int intervalsCovering(Duration span, Duration interval) {
    return (int) ((span.toMillis() + interval.toMillis() - 1) / interval.toMillis());
  }

  /** Runs the soak on a stack of its own; answers true when nothing was lost and no call failed. */
  boolean run() throws Exception {
    String warmUp = warmUps == 0 ? "no warm-up" : String.format(Locale.ROOT, "after a warm-up of %s at %.1f images/s",
        human(interval.multipliedBy(warmUps)), rate * WARM_UP_LOAD);
    out.printf(Locale.ROOT, "soak — %s of HTTP score calls and dropped images, %.1f images/s in all (half each), a line"
        + " every %s, %s; each dropped image deleted once its result is read, results and events kept %d minute(s)"
        + " (%s); starting a stack of its own (Azurite with its data on disk, the local host, one replica) …%n",
        human(duration), rate, human(interval), warmUp, RETENTION_MINUTES, Retention.SETTING);
    // On disk, so that Azurite's memory shows leaks rather than the results it keeps.
    try (LocalStack stack = LocalStack.start(0, work.resolve("azurite"), true)) {
      // What a steady service holds: the data stays at a few minutes' worth, so memory that grows is a leak.
      AppSettings.putLocal(Map.of(Retention.SETTING, Integer.toString(RETENTION_MINUTES)));
      AppApi app = new AppApi(stack.baseUrl());
      Storage storage = Storage.connect(stack.connectionString(), new StorageRequests());
      ScoringBench.Deployed deployed = ScoringBench.deploy(out, work, kind, app, storage, "soak-");
      return drive(stack, deployed, storage);
    }
  }

  private boolean drive(LocalStack stack, ScoringBench.Deployed deployed, Storage storage) throws Exception {
    List<byte[]> pictures = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(11);
    for (int i = 0; i < 16; i++) {
      pictures.add(Benchmark.photoLikeJpeg(224, 224, random.nextLong()));
    }
    int intervals = warmUps + (int) Math.max(1, duration.toMillis() / interval.toMillis());
    List<Bucket> buckets = new ArrayList<>();
    for (int i = 0; i < intervals; i++) {
      buckets.add(new Bucket());
    }
    Map<String, Instant> uploaded = new ConcurrentHashMap<>();
    Set<String> answered = ConcurrentHashMap.newKeySet();
    String path = "/api/services/" + deployed.service() + "/score?top=5&persist=false";
    URI base = URI.create(stack.baseUrl());
    ThreadLocal<BlockingHttpClient> clients = ThreadLocal.withInitial(() -> new BlockingHttpClient(base));
    ExecutorService callers = Executors.newFixedThreadPool(8);
    ExecutorService uploaders = Executors.newFixedThreadPool(4);
    ScheduledExecutorService clock = Executors.newScheduledThreadPool(3);
    long start = System.nanoTime();
    Instant started = Instant.now();
    AtomicLong ticks = new AtomicLong();
    AtomicLong sent = new AtomicLong();
    // The clock ticks at the warm-up's rate; after the warm-up only every WARM_UP_LOAD-th tick sends.
    long periodNanos = (long) (1e9 / (rate * WARM_UP_LOAD));
    PredictBatcher.Stats batched = App.get().folderScoring().batcher().stats();
    out.printf(Locale.ROOT, "%nthe host (this process) at nice %s, Azurite at nice %s%n", niceness(ProcessHandle.current()),
        ProcessHandle.current().descendants().filter(p -> p.info().commandLine().orElse("").contains("azurite"))
            .findFirst().map(SoakBench::niceness).orElse("?"));
    out.printf(Locale.ROOT, "%8s %8s %8s %8s %9s %8s %9s %9s %6s %8s %7s %9s %9s %9s %9s %8s %8s%n", "minute", "HTTP/s", "p50 ms",
        "p99 ms", "drops/s", "scored/s", "drop p50", "drop p99", "batch", "list ms", "errors", "host MiB", "runtime",
        "Azurite", "host CPU", "runtime", "Azurite");
    clock.scheduleAtFixedRate(() -> {
      long tick = ticks.getAndIncrement();
      int index = bucket(start, System.nanoTime());
      if (index >= intervals || index >= warmUps && tick % WARM_UP_LOAD != 0) {
        return;
      }
      long n = sent.getAndIncrement();
      Bucket bucket = buckets.get(index);
      byte[] picture = pictures.get((int) (n % pictures.size()));
      if (n % 2 == 0) {
        callers.execute(() -> {
          long began = System.nanoTime();
          try {
            BlockingHttpClient.Answer answer = clients.get().post(path, "image/jpeg", picture);
            if (answer.status() == 200) {
              bucket.http.add((System.nanoTime() - began) / 1e6);
            } else {
              bucket.errors.incrementAndGet();
              out.printf(Locale.ROOT, "  HTTP %d: %s%n", answer.status(), new String(answer.body(),
                  java.nio.charset.StandardCharsets.UTF_8));
            }
          } catch (IOException | RuntimeException e) {
            bucket.errors.incrementAndGet();
            out.printf(Locale.ROOT, "  HTTP call failed: %s%n", e);
          }
        });
      } else {
        String name = String.format(Locale.ROOT, "soak/%06d.jpg", n);
        uploaders.execute(() -> {
          try {
            uploaded.put(name, Instant.now());
            storage.container(StorageLayout.IMAGES).getBlobClient(deployed.service() + "/" + name)
                .upload(BinaryData.fromBytes(picture), true);
            bucket.dropped.incrementAndGet();
          } catch (RuntimeException e) {
            uploaded.remove(name);
            bucket.errors.incrementAndGet();
            out.printf(Locale.ROOT, "  upload failed: %s%n", e);
          }
        });
      }
    }, 0, periodNanos, TimeUnit.NANOSECONDS);

    Instant[] cursor = {Instant.now().minusSeconds(1)};
    Cleanup cleanup = new Cleanup(storage, deployed.service());
    clock.scheduleAtFixedRate(() -> {
      try {
        int index = bucket(start, System.nanoTime());
        if (index < intervals) {
          buckets.get(index).rssSamples.add(sample().rssMiB());
        }
      } catch (RuntimeException e) {
        out.printf(Locale.ROOT, "  sampling memory failed: %s%n", e);
      }
    }, 0, RSS_EVERY.toNanos(), TimeUnit.NANOSECONDS);
    // Often, and never two at once: a result is read well before the retention deletes it.
    clock.scheduleWithFixedDelay(() -> {
      try {
        collectResults(deployed.service(), uploaded, answered, buckets, started, cursor, cleanup);
      } catch (RuntimeException e) {
        // Read again on the next round: a row stays for the retention, far longer than a round.
        out.printf(Locale.ROOT, "  reading the results failed: %s%n", e);
      }
    }, COLLECT_EVERY.toNanos(), COLLECT_EVERY.toNanos(), TimeUnit.NANOSECONDS);
    long poisonSeen = 0;
    Sample sample = sample();
    long sampledAt = System.nanoTime();
    for (int index = 0; index < intervals; index++) {
      long due = start + (index + 1) * interval.toNanos();
      TimeUnit.NANOSECONDS.sleep(Math.max(0, due - System.nanoTime()));
      Bucket bucket = buckets.get(index);
      PredictBatcher.Stats now = App.get().folderScoring().batcher().stats();
      long calls = now.calls() - batched.calls();
      bucket.batch = calls == 0 ? 0 : (double) (now.images() - batched.images()) / calls;
      batched = now;
      collectResults(deployed.service(), uploaded, answered, buckets, started, cursor, cleanup);
      long poison = poisonCount(storage);
      bucket.errors.addAndGet(poison - poisonSeen);
      poisonSeen = poison;
      bucket.listMs = timeListing(storage);
      Sample latest = sample();
      long latestAt = System.nanoTime();
      bucket.rss.putAll(meanRss(bucket.rssSamples, latest.rssMiB()));
      bucket.cpu.putAll(latest.cpuSince(sample, latestAt - sampledAt));
      sample = latest;
      sampledAt = latestAt;
      print(index, bucket);
      if (index == warmUps - 1) {
        out.printf(Locale.ROOT, "%8s warm-up over: the soak's own figures from here%n", "");
      }
    }
    clock.shutdownNow();
    clock.awaitTermination(1, TimeUnit.MINUTES);
    callers.shutdown();
    uploaders.shutdown();
    callers.awaitTermination(2, TimeUnit.MINUTES);
    uploaders.awaitTermination(2, TimeUnit.MINUTES);

    long drainUntil = System.nanoTime() + DRAIN.toNanos();
    while (answered.size() < uploaded.size() && System.nanoTime() < drainUntil) {
      Thread.sleep(1000);
      collectResults(deployed.service(), uploaded, answered, buckets, started, cursor, cleanup);
    }
    out.printf(Locale.ROOT, "%d dropped images deleted once their results were read%n", cleanup.finish());
    return summarize(buckets, uploaded, answered, poisonCount(storage));
  }

  /** The user's part: an image whose result document can be read is deleted, as a camera feed's would be. */
  private final class Cleanup {
    /** How long an image whose row was read waits for its document before it is deleted anyway. */
    private static final Duration DOCUMENT_WAIT = Duration.ofSeconds(30);

    private final ExecutorService thread = Executors.newSingleThreadExecutor();
    /** Image → when its row was first read, for those not deleted yet. */
    private final Map<String, Instant> unread = new ConcurrentHashMap<>();
    private final AtomicLong deleted = new AtomicLong();
    private final Storage storage;
    private final String service;

    Cleanup(Storage storage, String service) {
      this.storage = storage;
      this.service = service;
    }

    /** The image's row is there: deleted once its document is too (the document follows the row). */
    void answered(String name) {
      answered(name, Instant.now());
    }

    private void answered(String name, Instant rowRead) {
      thread.execute(() -> {
        try {
          // A document that has not come within the wait may have gone with the retention already.
          if (App.get().results().find(service, name).isEmpty()
              && Duration.between(rowRead, Instant.now()).compareTo(DOCUMENT_WAIT) < 0) {
            unread.put(name, rowRead);
            return;
          }
          storage.container(StorageLayout.IMAGES).getBlobClient(service + "/" + name).delete();
          deleted.incrementAndGet();
        } catch (RuntimeException e) {
          out.printf(Locale.ROOT, "  deleting %s failed (tried again): %s%n", name, e);
          unread.put(name, rowRead);
        }
      });
    }

    /** Looks again at the images not deleted yet. */
    void retryUnread() {
      for (Map.Entry<String, Instant> entry : List.copyOf(unread.entrySet())) {
        unread.remove(entry.getKey());
        answered(entry.getKey(), entry.getValue());
      }
    }

    /** Deletes what is left to delete; answers how many images were deleted in all. */
    long finish() throws InterruptedException {
      retryUnread();
      thread.shutdown();
      thread.awaitTermination(2, TimeUnit.MINUTES);
      if (!unread.isEmpty()) {
        out.printf(Locale.ROOT, "%d dropped images left undeleted%n", unread.size());
      }
      return deleted.get();
    }
  }

  private int bucket(long start, long now) {
    return (int) ((now - start) / interval.toNanos());
  }

  /** Reads the result rows written since {@code cursor} and files each image's latency under the interval it ended in. */
  private synchronized void collectResults(String service, Map<String, Instant> uploaded, Set<String> answered, List<Bucket> buckets,
      Instant started, Instant[] cursor, Cleanup cleanup) {
    cleanup.retryUnread();
    ResultStore results = App.get().results();
    // Rows become visible a little after their ScoredAt (a batch's rows are written together): read back far enough
    // that none is passed over; answered skips those read before.
    Instant since = cursor[0].minusSeconds(30);
    String continuation = null;
    Instant newest = cursor[0];
    do {
      ResultStore.Page page = results.list(service, since, 1000, continuation);
      for (ResultStore.Row row : page.value()) {
        Instant at = uploaded.get(row.path());
        if (at == null || !answered.add(row.path())) {
          continue;
        }
        cleanup.answered(row.path());
        if (row.scoredAt().isAfter(newest)) {
          newest = row.scoredAt();
        }
        long sinceStart = Duration.between(started, row.scoredAt()).toNanos();
        int index = (int) Math.min(buckets.size() - 1, Math.max(0, sinceStart / interval.toNanos()));
        Bucket bucket = buckets.get(index);
        if ("Scored".equals(row.status())) {
          bucket.drop.add(Duration.between(at, row.scoredAt()).toNanos() / 1e6);
        } else {
          bucket.errors.incrementAndGet();
          out.printf(Locale.ROOT, "  %s: %s%n", row.path(), row.error());
        }
      }
      continuation = page.continuation();
    } while (continuation != null);
    cursor[0] = newest;
  }

  private static long poisonCount(Storage storage) {
    long count = 0;
    for (String queue : List.of(QueueTriggerListener.poisonQueueName(StorageLayout.SCORING_QUEUE),
        StorageLayout.BLOB_POISON_QUEUE)) {
      try {
        count += storage.queue(queue).getProperties().getApproximateMessagesCountLong();
      } catch (RuntimeException e) {
        // not created: nothing was poisoned there
      }
    }
    return count;
  }

  /** Milliseconds to list the drop container once, names and properties, in the pages the blob trigger lists it in. */
  private static double timeListing(Storage storage) {
    long started = System.nanoTime();
    try {
      storage.container(StorageLayout.IMAGES)
          .listBlobs(new ListBlobsOptions().setMaxResultsPerPage(BlobTriggerListener.LIST_PAGE), null).stream().count();
    } catch (RuntimeException e) {
      return Double.NaN;
    }
    return (System.nanoTime() - started) / 1e6;
  }

  /** Per role, the mean of the samples; {@code fallback} when there are none. */
  static Map<String, Long> meanRss(List<Map<String, Long>> samples, Map<String, Long> fallback) {
    List<Map<String, Long>> copy;
    synchronized (samples) {
      copy = new ArrayList<>(samples);
    }
    if (copy.isEmpty()) {
      return fallback;
    }
    Map<String, Long> means = new LinkedHashMap<>();
    for (String role : fallback.keySet()) {
      means.put(role, Math.round(copy.stream().mapToLong(sample -> sample.getOrDefault(role, 0L)).average().orElse(0)));
    }
    return means;
  }

  /** One sample of the processes by role: resident memory in MiB, and each process's CPU time so far. */
  record Sample(Map<String, Long> rssMiB, Map<String, Map<Long, Duration>> cpu) {
    /**
     * Per role, the share of one core its processes used since {@code before}, in per cent: a process in both samples
     * counts what it used between them, one new since counts all it used, one gone since counts nothing.
     */
    Map<String, Double> cpuSince(Sample before, long nanos) {
      Map<String, Double> shares = new LinkedHashMap<>();
      cpu.forEach((role, processes) -> {
        Map<Long, Duration> earlier = before.cpu().getOrDefault(role, Map.of());
        long used = 0;
        for (Map.Entry<Long, Duration> process : processes.entrySet()) {
          used += process.getValue().minus(earlier.getOrDefault(process.getKey(), Duration.ZERO)).toNanos();
        }
        shares.put(role, 100.0 * used / nanos);
      });
      return shares;
    }
  }

  /** The memory and CPU time of this process (the host), the runtimes it started and Azurite, by role. */
  static Sample sample() {
    Map<String, Long> rss = new LinkedHashMap<>();
    Map<String, Map<Long, Duration>> cpu = new LinkedHashMap<>();
    for (String role : List.of("host", "runtime", "Azurite")) {
      rss.put(role, 0L);
      cpu.put(role, new HashMap<>());
    }
    List<ProcessHandle> processes = new ArrayList<>(List.of(ProcessHandle.current()));
    processes.addAll(ProcessHandle.current().descendants().toList());
    for (ProcessHandle process : processes) {
      String command = process.info().commandLine().orElse("");
      String role = process.pid() == ProcessHandle.current().pid() ? "host"
          : command.contains(" runtime ") && command.contains("--replica-id") ? "runtime"
          : command.contains("azurite") ? "Azurite" : null;
      if (role != null) {
        rss.merge(role, rssMiB(process.pid()), Long::sum);
        process.info().totalCpuDuration().ifPresent(used -> cpu.get(role).put(process.pid(), used));
      }
    }
    return new Sample(rss, cpu);
  }

  /** A process's nice value, the 19th field of {@code /proc/PID/stat}; "?" where it cannot be read. */
  static String niceness(ProcessHandle process) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
      return stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16];
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  private static long rssMiB(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone, or no /proc: counted as nothing
    }
    return 0;
  }

  private void print(int index, Bucket bucket) {
    String label = index < warmUps ? "w" + label(index) : label(index - warmUps);
    double seconds = interval.toMillis() / 1000.0;
    List<Double> http = sorted(bucket.http);
    List<Double> drop = sorted(bucket.drop);
    out.printf(Locale.ROOT, "%8s %8.1f %8.1f %8.1f %9.1f %8.1f %9.0f %9.0f %6.1f %8.0f %7d %9d %9d %9d %8.0f%% %7.0f%% %7.0f%%%n", label,
        http.size() / seconds, percentile(http, 0.5), percentile(http, 0.99), bucket.dropped.get() / seconds,
        drop.size() / seconds, percentile(drop, 0.5), percentile(drop, 0.99), bucket.batch, bucket.listMs,
        bucket.errors.get(),
        bucket.rss.get("host"), bucket.rss.get("runtime"), bucket.rss.get("Azurite"), bucket.cpu.get("host"),
        bucket.cpu.get("runtime"), bucket.cpu.get("Azurite"));
  }

  /** Counts what was lost and failed over the whole run, warm-up included; growth and drift after the warm-up. */
  private boolean summarize(List<Bucket> all, Map<String, Instant> uploaded, Set<String> answered, long poison) {
    long errors = all.stream().mapToLong(b -> b.errors.get()).sum();
    Set<String> lost = new HashSet<>(uploaded.keySet());
    lost.removeAll(answered);
    long calls = all.stream().mapToLong(b -> b.http.size()).sum();
    out.printf(Locale.ROOT, "%nsoak over, warm-up included: %d HTTP score calls answered, %d images dropped, %d results"
        + " written, %d lost%s; %d errors; %d poison messages%n", calls, uploaded.size(), answered.size(), lost.size(),
        lost.isEmpty() ? "" : " (" + String.join(", ", new TreeSet<>(lost).stream().limit(10).toList())
            + (lost.size() > 10 ? ", …" : "") + ")", errors, poison);
    List<Bucket> buckets = all.subList(warmUps, all.size());
    PredictBatcher.Stats folder = App.get().folderScoring().batcher().stats();
    out.printf(Locale.ROOT, "the folder's scoring: %d Predict calls for %d images, the largest %d images%n",
        folder.calls(), folder.images(), folder.largestBatch());
    boolean ok = errors == 0 && lost.isEmpty();
    if (buckets.size() < 2) {
      out.println("(one interval only: no growth or drift after warm-up to report)");
      return ok;
    }
    // Memory counts from the second interval: the first may still hold the warm-up's last work (with none, the start's).
    Bucket first = buckets.get(1);
    Bucket last = buckets.get(buckets.size() - 1);
    out.printf(Locale.ROOT, "resident memory from %s to the end:", label(1));
    for (String role : first.rss.keySet()) {
      long from = first.rss.get(role);
      long to = last.rss.get(role);
      out.printf(Locale.ROOT, " %s %d → %d MiB (%+.1f%%)", role, from, to, from == 0 ? 0.0 : 100.0 * (to - from) / from);
    }
    out.println();
    // Latency and CPU settle later than memory: in two of three 30-minute runs with per-minute figures (before the warm-up
    // phase), the HTTP p99 of minutes 2 to 5 stood well above that of the five minutes after. The first sixth of the
    // intervals reported on is left to settle.
    int settling = Math.max(1, buckets.size() / 6);
    int window = Math.max(1, Math.min(5, (buckets.size() - settling) / 2));
    List<Double> early = new ArrayList<>();
    List<Double> late = new ArrayList<>();
    for (int i = 0; i < window; i++) {
      early.addAll(buckets.get(settling + i).http);
      late.addAll(buckets.get(buckets.size() - 1 - i).http);
    }
    String windows = String.format(Locale.ROOT, "%s to %s against %s to %s", label(settling), label(settling + window - 1),
        label(buckets.size() - window), label(buckets.size() - 1));
    // Azurite's memory swings by a quarter as its garbage collector runs, sampled every 5 s or not, over periods of
    // several minutes: a line fitted to every interval's mean from the second on tells growth from a swing better than
    // two points or two windows of it.
    out.printf(Locale.ROOT, "resident memory, the trend of a line fitted to every interval from %s to the end:", label(1));
    for (String role : first.rss.keySet()) {
      List<Double> means = buckets.subList(1, buckets.size()).stream().map(b -> (double) b.rss.get(role)).toList();
      out.printf(Locale.ROOT, " %s %+.1f%%", role, trendPercent(means));
    }
    out.println();
    out.printf(Locale.ROOT, "resident memory, mean of %s:", windows);
    for (String role : first.rss.keySet()) {
      double from = 0;
      double to = 0;
      for (int i = 0; i < window; i++) {
        from += (double) buckets.get(settling + i).rss.get(role) / window;
        to += (double) buckets.get(buckets.size() - 1 - i).rss.get(role) / window;
      }
      out.printf(Locale.ROOT, " %s %.0f → %.0f MiB (%+.1f%%)", role, from, to, from == 0 ? 0.0 : 100.0 * (to - from) / from);
    }
    out.println();
    out.printf(Locale.ROOT, "CPU, share of one core, %s:", windows);
    for (String role : first.cpu.keySet()) {
      double from = 0;
      double to = 0;
      for (int i = 0; i < window; i++) {
        from += buckets.get(settling + i).cpu.get(role) / window;
        to += buckets.get(buckets.size() - 1 - i).cpu.get(role) / window;
      }
      out.printf(Locale.ROOT, " %s %.0f → %.0f %%", role, from, to);
    }
    out.println();
    List<Double> earlySorted = sorted(early);
    List<Double> lateSorted = sorted(late);
    double earlyP99 = percentile(earlySorted, 0.99);
    double lateP99 = percentile(lateSorted, 0.99);
    out.printf(Locale.ROOT, "HTTP p99, %s: %.1f → %.1f ms%s; 95%% bounds from %d and %d calls: %s and %s ms%n", windows,
        earlyP99, lateP99,
        earlyP99 == 0 ? "" : String.format(Locale.ROOT, " (%+.1f%%)", 100 * (lateP99 - earlyP99) / earlyP99),
        earlySorted.size(), lateSorted.size(), p99Bounds(earlySorted), p99Bounds(lateSorted));
    // A window's p99 is one of its slowest few calls, and moves from window to window of a steady run: every window's,
    // so that the first-to-last change can be read against that spread.
    // Counted back from the end, so that the last window is the one compared above; windows without calls are left out.
    List<String> each = new ArrayList<>();
    double lowest = Double.MAX_VALUE;
    double highest = 0;
    for (int from = buckets.size() - window; from >= settling; from -= window) {
      List<Double> latencies = new ArrayList<>();
      for (int i = from; i < from + window; i++) {
        latencies.addAll(buckets.get(i).http);
      }
      if (latencies.isEmpty()) {
        continue;
      }
      List<Double> ordered = sorted(latencies);
      double p99 = percentile(ordered, 0.99);
      lowest = Math.min(lowest, p99);
      highest = Math.max(highest, p99);
      each.add(0, String.format(Locale.ROOT, "%s to %s %.1f (%s)", label(from), label(from + window - 1), p99,
          p99Bounds(ordered)));
    }
    if (each.size() > 2) {
      out.printf(Locale.ROOT, "HTTP p99 of each window: %s ms; %.1f to %.1f, the highest %+.1f%% over the lowest%n",
          String.join(", ", each), lowest, highest, lowest == 0 ? 0.0 : 100 * (highest - lowest) / lowest);
    }
    return ok;
  }

  private String label(int index) {
    return interval.equals(Duration.ofMinutes(1)) ? Integer.toString(index + 1)
        : human(interval.multipliedBy(index + 1));
  }

  private static List<Double> sorted(List<Double> values) {
    List<Double> copy;
    synchronized (values) {
      copy = new ArrayList<>(values);
    }
    Collections.sort(copy);
    return copy;
  }

  /**
   * How much a least-squares line through {@code values} (one per interval) rises from the first interval to the last, as a
   * share of their mean, in per cent; 0 for fewer than two values or a mean of 0.
   */
  static double trendPercent(List<Double> values) {
    int n = values.size();
    double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    if (n < 2 || mean == 0) {
      return 0;
    }
    double middle = (n - 1) / 2.0;
    double covariance = 0;
    double variance = 0;
    for (int i = 0; i < n; i++) {
      covariance += (i - middle) * (values.get(i) - mean);
      variance += (i - middle) * (i - middle);
    }
    return 100 * covariance / variance * (n - 1) / mean;
  }

  /**
   * Where the p99 of the calls' latency lies, from this sample of them, with 95 % confidence were the calls independent
   * (they are not quite: a pause slows a few in a row, so the bounds are if anything too narrow): "lo–hi", "≥ lo" from
   * fewer than 368 calls, which bound it only from below, "none" from none.
   */
  private static String p99Bounds(List<Double> sorted) {
    int[] ranks = quantileRanks(sorted.size(), 0.99, 0.95);
    if (ranks[0] < 1) {
      return "none";
    }
    String lo = String.format(Locale.ROOT, "%.1f", sorted.get(ranks[0] - 1));
    return ranks[1] > sorted.size() ? "≥ " + lo : lo + "–" + String.format(Locale.ROOT, "%.1f", sorted.get(ranks[1] - 1));
  }

  /**
   * The ranks (from 1, in ascending order) of two of {@code n} independent values between which their distribution's
   * {@code q} quantile lies with at least {@code confidence}, whatever the distribution: how many of the values fall below
   * the quantile is Binomial(n, q), and the quantile lies between the lo-th and hi-th values when lo ≤ that count < hi.
   * Each bound is chosen so that at most half the rest lies on its side; a rank below 1 or above n means that {@code n}
   * values are too few to bound that side.
   */
  static int[] quantileRanks(int n, double q, double confidence) {
    // The binomial's probabilities, relative to its mode's, then scaled: far from the mode they underflow to 0, as they should.
    double[] pmf = new double[n + 1];
    int mode = (int) Math.min(n, Math.floor((n + 1) * q));
    pmf[mode] = 1;
    for (int k = mode; k < n; k++) {
      pmf[k + 1] = pmf[k] * (n - k) / (k + 1) * q / (1 - q);
    }
    for (int k = mode; k > 0; k--) {
      pmf[k - 1] = pmf[k] * k / (n - k + 1) * (1 - q) / q;
    }
    double total = Arrays.stream(pmf).sum();
    double tail = (1 - confidence) / 2;
    // lo: the largest rank with P(count ≤ lo − 1) ≤ tail; 0 when even P(count = 0) is more.
    int lo = 0;
    double below = 0;
    while (lo <= n && below + pmf[lo] / total <= tail) {
      below += pmf[lo] / total;
      lo++;
    }
    // hi: the smallest rank with P(count ≥ hi) ≤ tail; n + 1 when even P(count = n) is more.
    int hi = n + 1;
    double above = 0;
    while (hi > 0 && above + pmf[hi - 1] / total <= tail) {
      above += pmf[hi - 1] / total;
      hi--;
    }
    return new int[] {lo, hi};
  }

  /** Nearest rank; 0 for no values. */
  private static double percentile(List<Double> sorted, double q) {
    if (sorted.isEmpty()) {
      return 0;
    }
    int rank = (int) Math.ceil(q * sorted.size());
    return sorted.get(Math.max(0, rank - 1));
  }

  /** {@code 90s}, {@code 5m}, {@code 1h30m}. */
  static String human(Duration d) {
    long seconds = d.toSeconds();
    if (seconds % 60 != 0) {
      return seconds + "s";
    }
    long minutes = seconds / 60;
    return minutes % 60 == 0 ? minutes / 60 + "h" : minutes >= 60 ? minutes / 60 + "h" + minutes % 60 + "m" : minutes + "m";
  }

  /** Parses {@code 30m}, {@code 90s}, {@code 2h} or an ISO-8601 duration. */
  static Duration parse(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    try {
      if (t.matches("\\d+[smh]")) {
        long n = Long.parseLong(t.substring(0, t.length() - 1));
        return switch (t.charAt(t.length() - 1)) {
          case 's' -> Duration.ofSeconds(n);
          case 'm' -> Duration.ofMinutes(n);
          default -> Duration.ofHours(n);
        };
      }
      return Duration.parse(text.strip().toUpperCase(Locale.ROOT));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("'" + text + "' is not a duration: write 90s, 30m, 2h or PT30M");
    }
  }
}
