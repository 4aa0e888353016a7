package io.realtimeai.deployment.local;

import io.realtimeai.catalog.AcceleratedModels;
import io.realtimeai.deployment.ProviderRejectedException;
import io.realtimeai.deployment.ReplicaProvider;
import io.realtimeai.deployment.ReplicaSpec;
import io.realtimeai.deployment.ReplicaStatus;
import io.realtimeai.error.NotFoundException;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Replicas as local processes: one {@code realtime-ai runtime} per replica, run from its own folder
 * {@code stateDir/{serviceId}/{replicaId}/} that holds everything the runtime is started with and
 * everything it writes back ({@link ReplicaFolder}); the folder, not this object, is the record of
 * the replica, so a host that restarts finds its replicas where it left them.
 *
 * <p>{@link #start} writes the folder and returns; the package download (once per content, shared
 * by every replica of a model) and the launch happen on a thread of their own. A runtime outlives a
 * host that dies without {@link #close}, and the next provider over the same state directory adopts
 * it: a pid file names the process, and its command line, which names the replica's folder, proves
 * the pid was not reused by another one. A runtime that exits leaves its replica FAILED, with the
 * runtime's own reason from its stderr, until {@code start} runs it again under the same replica id.
 */
public final class LocalReplicaProvider implements ReplicaProvider {
  private static final Logger LOG = Logger.getLogger(LocalReplicaProvider.class.getName());
  /** Where replicas listen: every runtime serves on all interfaces, the host calls it on loopback. */
  private static final String HOST = "127.0.0.1";
  /** How long a stopped runtime gets to finish calls in flight and release its models before it is killed. */
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);
  private static final Duration KILL_WAIT = Duration.ofSeconds(5);
  /** Service and replica ids name folders: nothing that could step outside the state directory. */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final String PACKAGES = ".packages";
  /** Room kept for a replica's logs and the files it writes besides its package. */
  static final long MARGIN_BYTES = 8L << 20;
  /** The code of an operation that failed for want of disk space. */
  static final String DISK_FULL = "DiskFull";

  private final AcceleratedModels catalog;
  private final Path stateDir;
  private final PackageCache packages;
  private final RuntimeLauncher launcher;
  private final ExecutorService preparations;
  private final Map<String, Replica> replicas = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** What this provider knows of one replica beyond its folder; every field is guarded by {@code lock}. */
  private static final class Replica {
    final ReentrantLock lock = new ReentrantLock();
    final String name;
    final ReplicaFolder folder;
    /** The runtime, started or adopted here; null when none is known. */
    ProcessHandle handle;
    /** The runtime when this provider started it, which knows its exit code. */
    Process process;
    /** The download and launch in progress. */
    Future<?> preparation;
    /** Bumped by every start and stop, so that a preparation for an earlier one launches nothing. */
    long generation;
    /**
     * Why the preparation of generation {@link #failedGeneration} failed, kept here as well as in the folder: a full
     * disk refuses the folder's copy too.
     */
    ReplicaStatus failure;
    long failedGeneration = -1;

    Replica(String name, ReplicaFolder folder) {
      this.name = name;
      this.folder = folder;
    }
  }

  /**
   * A provider keeping its replicas under {@code stateDir} (e.g. {@code .realtime-ai/replicas}),
   * downloading packages from {@code storage}'s {@code models} container and accelerated models from
   * {@code catalog}, and running {@code jar} (the launcher's {@code target/realtime-ai.jar}) with this
   * JVM's {@code java}. Replicas already running under {@code stateDir} are adopted.
   */
  public LocalReplicaProvider(Storage storage, AcceleratedModels catalog, Path stateDir, Path jar) {
    this.catalog = Objects.requireNonNull(catalog, "catalog");
    try {
      // The real path: adoption compares it with the command lines of running runtimes.
      this.stateDir = Files.createDirectories(stateDir).toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot use " + stateDir + " for replicas: " + e.getMessage(), e);
    }
    this.packages = new PackageCache(storage.container(StorageLayout.MODELS), this.stateDir.resolve(PACKAGES));
    this.launcher = new RuntimeLauncher(javaCommand(), jar.toAbsolutePath().normalize());
    AtomicInteger threads = new AtomicInteger();
    this.preparations = Executors.newCachedThreadPool(task -> {
      Thread thread = new Thread(task, "replica-start-" + threads.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    adoptRunning();
  }

  /** The state directory, as a real path. */
  public Path stateDir() {
    return stateDir;
  }

  /** The folder of a replica, whether or not it exists. */
  public Path folder(String serviceId, String replicaId) {
    checkIds(serviceId, replicaId);
    return stateDir.resolve(serviceId).resolve(replicaId);
  }

  @Override
  public void start(ReplicaSpec spec) {
    validate(spec);
    Replica replica = replica(spec.serviceId(), spec.replicaId());
    LaunchRecord wanted = LaunchRecord.of(spec);
    replica.lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("the replica provider is closed");
      }
      Optional<ProcessHandle> running = runtime(replica);
      boolean preparing = replica.preparation != null && !replica.preparation.isDone();
      if ((running.isPresent() || preparing) && replica.folder.launch().filter(wanted::equals).isPresent()) {
        running.ifPresent(handle -> replica.handle = handle);
        if (!replica.folder.keys().equals(spec.keys())) {
          replica.folder.writeKeys(spec.keys());
        }
        return;
      }
      // Anything else runs the replica afresh: never started, exited, stopped with its host, or another package.
      ensureSpace(replica, spec);
      replica.generation++;
      if (replica.preparation != null) {
        replica.preparation.cancel(true);
      }
      if (running.isPresent()) {
        LOG.info(() -> "replacing replica " + replica.name + " (pid " + running.get().pid() + "): asked for " + spec);
      }
      terminate(processes(replica));
      replica.handle = null;
      replica.process = null;
      replica.folder.resetForRun();
      replica.folder.writeLaunch(wanted);
      replica.folder.writeKeys(spec.keys());
      replica.folder.writeTls(spec.tlsCertificate(), spec.tlsKey());
      long generation = replica.generation;
      replica.preparation = preparations.submit(() -> prepareAndLaunch(replica, spec, generation));
    } catch (IOException e) {
      if (isNoSpace(e)) {
        throw diskFull(replica, usableSpace(), MARGIN_BYTES, e);
      }
      throw new UncheckedIOException("cannot write the folder of replica " + replica.name + ": " + e.getMessage(), e);
    } finally {
      replica.lock.unlock();
    }
  }

  /**
   * Refuses to start a replica where its package (downloaded unless cached, then unpacked by the
   * runtime) and its logs cannot fit: without this a full disk failed half-way, in a download or a
   * write of the replica's folder, and the operation waited for its deadline with no word of why.
   */
  private void ensureSpace(Replica replica, ReplicaSpec spec) {
    long packageBytes = packages.size(spec.packageBlob());
    if (packageBytes < 0) {
      return;
    }
    long needed = (packages.isCached(spec.packageSha256()) ? 0 : packageBytes) + packageBytes + MARGIN_BYTES;
    long free = usableSpace();
    if (free >= 0 && free < needed) {
      throw diskFull(replica, free, needed, null);
    }
  }

  private long usableSpace() {
    try {
      return Files.getFileStore(stateDir).getUsableSpace();
    } catch (IOException e) {
      return -1;
    }
  }

  private ProviderRejectedException diskFull(Replica replica, long free, long needed, Throwable cause) {
    return new ProviderRejectedException(DISK_FULL, "the replica folder " + stateDir + " has " + mebibytes(free)
        + " free; replica " + replica.name + " needs at least " + mebibytes(needed)
        + " (its package downloaded and unpacked, and its logs): free space there, then deploy again", cause);
  }

  private static String mebibytes(long bytes) {
    return bytes < 0 ? "an unknown amount" : String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }

  /** The file a write failed on where the exception names it, else the replica folder. */
  private String where(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof FileSystemException failed && failed.getFile() != null) {
        return "at " + failed.getFile();
      }
    }
    return "in the replica folder " + stateDir;
  }

  /** True when {@code e}, or what caused it, is the system's "No space left on device" (ENOSPC). */
  static boolean isNoSpace(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && t.getMessage().contains("No space left on device")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public ReplicaStatus status(String serviceId, String replicaId) {
    checkIds(serviceId, replicaId);
    Replica replica = replica(serviceId, replicaId);
    replica.lock.lock();
    try {
      if (!replica.folder.exists()) {
        return ReplicaStatus.gone();
      }
      if (replica.preparation != null && !replica.preparation.isDone()) {
        return ReplicaStatus.starting();
      }
      if (replica.failure != null && replica.failedGeneration == replica.generation) {
        return replica.failure;
      }
      Optional<String> failure = replica.folder.failure();
      if (failure.isPresent()) {
        return ReplicaStatus.failed(failure.get());
      }
      OptionalLong pid = replica.folder.pid();
      if (pid.isEmpty()) {
        // Stopped with its host (close), or its host went down before it was launched: start() runs it again.
        return ReplicaStatus.gone();
      }
      Optional<ProcessHandle> running = runtime(replica);
      if (running.isEmpty()) {
        return ReplicaStatus.failed(exitReason(replica, pid.getAsLong()));
      }
      replica.handle = running.get();
      return replica.folder.ready()
          .filter(ready -> ready.pid() == pid.getAsLong())
          .map(ready -> ReplicaStatus.ready(HOST, ready.port(), ready.accelerator()))
          .orElseGet(ReplicaStatus::starting);
    } finally {
      replica.lock.unlock();
    }
  }

  @Override
  public void stop(String serviceId, String replicaId) {
    checkIds(serviceId, replicaId);
    Replica replica = replica(serviceId, replicaId);
    replica.lock.lock();
    try {
      replica.generation++;
      if (replica.preparation != null) {
        replica.preparation.cancel(true);
        replica.preparation = null;
      }
      Collection<ProcessHandle> running = processes(replica);
      terminate(running);
      Optional<String> packageSha256 = replica.folder.launch().map(LaunchRecord::packageSha256);
      boolean existed = replica.folder.exists();
      replica.folder.delete();
      replica.handle = null;
      replica.process = null;
      deleteIfEmpty(stateDir.resolve(serviceId));
      packageSha256.ifPresent(packages::prune);
      if (existed) {
        LOG.info(() -> "stopped replica " + replica.name
            + (running.isEmpty() ? "" : " (pid " + running.iterator().next().pid() + ")"));
      }
    } finally {
      replica.lock.unlock();
    }
  }

  @Override
  public void updateKeys(String serviceId, String replicaId, List<String> keys) {
    checkIds(serviceId, replicaId);
    checkKeys(keys);
    Replica replica = replica(serviceId, replicaId);
    replica.lock.lock();
    try {
      if (!replica.folder.exists()) {
        throw new NotFoundException("replica " + replica.name + " does not exist");
      }
      replica.folder.writeKeys(keys);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the keys of replica " + replica.name + ": " + e.getMessage(), e);
    } finally {
      replica.lock.unlock();
    }
  }

  @Override
  public List<String> replicas(String serviceId) {
    if (serviceId == null || !ID.matcher(serviceId).matches()) {
      throw new IllegalArgumentException("service id '" + serviceId + "' is not valid: " + idRule());
    }
    return folders(stateDir.resolve(serviceId)).stream().map(folder -> folder.getFileName().toString()).toList();
  }

  /**
   * Stops every runtime this provider started or adopted, together (SIGTERM, then a kill for any
   * still running after the grace period), and keeps their folders, so that a later {@link #start}
   * brings each back. No replica is launched after this.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    // Set before any lock is taken: a preparation that takes its lock after this launches nothing.
    closed = true;
    Map<Replica, Collection<ProcessHandle>> stopping = new LinkedHashMap<>();
    for (Replica replica : replicas.values()) {
      replica.lock.lock();
      try {
        replica.generation++;
        if (replica.preparation != null) {
          replica.preparation.cancel(true);
          replica.preparation = null;
        }
        stopping.put(replica, processes(replica));
      } finally {
        replica.lock.unlock();
      }
    }
    preparations.shutdownNow();
    terminate(stopping.values().stream().flatMap(Collection::stream).toList());
    for (Map.Entry<Replica, Collection<ProcessHandle>> stopped : stopping.entrySet()) {
      Replica replica = stopped.getKey();
      replica.lock.lock();
      try {
        replica.handle = null;
        replica.process = null;
        if (!stopped.getValue().isEmpty() && replica.folder.exists()) {
          replica.folder.forgetRun();
        }
      } catch (IOException e) {
        LOG.warning(() -> "could not clear the pid of replica " + replica.name + ": " + e.getMessage());
      } finally {
        replica.lock.unlock();
      }
    }
    long count = stopping.values().stream().filter(processes -> !processes.isEmpty()).count();
    if (count > 0) {
      LOG.info(() -> "stopped " + count + " replica(s); their folders stay under " + stateDir);
    }
  }

  /** Downloads the package, fills the catalog and launches the runtime, unless a later start or stop came first. */
  private void prepareAndLaunch(Replica replica, ReplicaSpec spec, long generation) {
    try (PackageCache.Lease lease = packages.fetch(spec.packageBlob(), spec.packageSha256())) {
      Path catalogRoot = spec.acceleratedModels().isEmpty() ? null : catalog.materialize(spec.acceleratedModels()).root();
      replica.lock.lock();
      try {
        if (replica.generation != generation || closed) {
          return;
        }
        replica.folder.linkPackage(lease.file());
        if (catalogRoot != null) {
          replica.folder.linkCatalog(catalogRoot, spec.acceleratedModels());
        }
        Process process = launcher.start(replica.folder, spec);
        try {
          replica.folder.writePid(process.pid());
        } catch (IOException e) {
          // A runtime nobody can find again would be a stray process.
          process.destroyForcibly();
          throw e;
        }
        replica.process = process;
        replica.handle = process.toHandle();
        LOG.info(() -> "started replica " + replica.name + " as pid " + process.pid() + ": " + spec);
      } finally {
        replica.lock.unlock();
      }
    } catch (Exception e) {
      // Space can run out after ensureSpace looked: another writer, or a package folder on a disk of its own.
      recordFailure(replica, generation, isNoSpace(e)
          ? ReplicaStatus.failed(DISK_FULL, "ran out of disk space " + where(e) + " while the replica was prepared ("
              + message(e) + "): free space there, then deploy again")
          : ReplicaStatus.failed("cannot start the replica: " + message(e)));
    }
  }

  private void recordFailure(Replica replica, long generation, ReplicaStatus failure) {
    String reason = failure.reason();
    replica.lock.lock();
    try {
      if (replica.generation == generation && !closed) {
        replica.failure = failure;
        replica.failedGeneration = generation;
        replica.folder.writeFailure(reason);
        LOG.warning(() -> "replica " + replica.name + ": " + reason);
      }
    } catch (IOException e) {
      LOG.log(Level.WARNING, "could not record the failure of replica " + replica.name + ": " + reason, e);
    } finally {
      replica.lock.unlock();
    }
  }

  /** The replica's runtime when it is alive. */
  private static Optional<ProcessHandle> runtime(Replica replica) {
    OptionalLong pid = replica.folder.pid();
    if (pid.isEmpty()) {
      return Optional.empty();
    }
    return ProcessHandle.of(pid.getAsLong())
        .filter(ProcessHandle::isAlive)
        .filter(process -> isRuntimeOf(process, replica.folder));
  }

  /**
   * True when {@code process} is the runtime of {@code folder}. A pid file alone proves nothing
   * after its process died (the pid may have gone to any other process since), but the runtime's
   * command line names the package in its folder. Where the system does not show another process's
   * command line, a process started after the pid file was written cannot be the one it names.
   */
  static boolean isRuntimeOf(ProcessHandle process, ReplicaFolder folder) {
    String packageArgument = folder.path(ReplicaFolder.PACKAGE).toString();
    ProcessHandle.Info info = process.info();
    Optional<String> commandLine = info.commandLine();
    if (commandLine.isPresent()) {
      return commandLine.get().contains(packageArgument);
    }
    Optional<Instant> started = info.startInstant();
    try {
      Instant written = Files.getLastModifiedTime(folder.path(ReplicaFolder.PID)).toInstant();
      return started.isPresent() && !started.get().isAfter(written);
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Every live runtime of the replica: the one its pid file names, the one this provider started
   * or adopted, and any other whose command line names the replica's package — one launched by a
   * host that died before it could write its pid, which nothing else would ever stop.
   */
  private static Collection<ProcessHandle> processes(Replica replica) {
    Map<Long, ProcessHandle> running = new LinkedHashMap<>();
    runtime(replica).ifPresent(process -> running.put(process.pid(), process));
    if (replica.process != null && replica.process.isAlive()) {
      running.putIfAbsent(replica.process.pid(), replica.process.toHandle());
    }
    if (replica.handle != null && replica.handle.isAlive() && isRuntimeOf(replica.handle, replica.folder)) {
      running.putIfAbsent(replica.handle.pid(), replica.handle);
    }
    String packageArgument = replica.folder.path(ReplicaFolder.PACKAGE).toString();
    ProcessHandle.allProcesses()
        .filter(process -> process.info().commandLine().map(line -> line.contains(packageArgument)).orElse(false))
        .filter(ProcessHandle::isAlive)
        .forEach(process -> running.putIfAbsent(process.pid(), process));
    return List.copyOf(running.values());
  }

  /** Why the runtime is no longer running: its own words from stderr, and its exit code when this provider knows it. */
  private static String exitReason(Replica replica, long pid) {
    String words = replica.folder.stderrReason()
        .orElse("the runtime (pid " + pid + ") is no longer running and wrote nothing on stderr");
    Process process = replica.process;
    if (process == null || process.pid() != pid) {
      return words;
    }
    try {
      // The process is gone; its exit code is collected a moment after.
      if (!process.waitFor(1, TimeUnit.SECONDS)) {
        return words;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return words;
    }
    int code = process.exitValue();
    return words + " (exit code " + code + (code > 128 ? ": killed by signal " + (code - 128) : "") + ")";
  }

  /** Asks every process to stop (SIGTERM) at once, waits out the grace period, then kills what is left. */
  private static void terminate(Collection<ProcessHandle> processes) {
    if (processes.isEmpty()) {
      return;
    }
    processes.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + STOP_GRACE.toNanos();
    for (ProcessHandle process : processes) {
      awaitExit(process, deadline - System.nanoTime());
    }
    for (ProcessHandle process : processes) {
      if (process.isAlive()) {
        LOG.warning(() -> "pid " + process.pid() + " did not stop within " + STOP_GRACE.toSeconds() + " s; killing it");
        process.destroyForcibly();
        awaitExit(process, KILL_WAIT.toNanos());
      }
    }
  }

  private static void awaitExit(ProcessHandle process, long nanos) {
    try {
      process.onExit().get(Math.max(0, nanos), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // still running: the caller decides
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Takes over the runtimes a previous host left running under the state directory. */
  private void adoptRunning() {
    for (Path service : folders(stateDir)) {
      for (Path folder : folders(service)) {
        Replica replica = replica(service.getFileName().toString(), folder.getFileName().toString());
        replica.lock.lock();
        try {
          runtime(replica).ifPresent(process -> {
            replica.handle = process;
            LOG.info(() -> "adopted replica " + replica.name + " (pid " + process.pid() + ")");
          });
        } finally {
          replica.lock.unlock();
        }
      }
    }
  }

  private Replica replica(String serviceId, String replicaId) {
    return replicas.computeIfAbsent(serviceId + "/" + replicaId,
        name -> new Replica(name, new ReplicaFolder(stateDir.resolve(serviceId).resolve(replicaId))));
  }

  /** The sub-folders of {@code dir} whose names are ids, sorted; none when it is absent. */
  private static List<Path> folders(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.filter(Files::isDirectory)
          .filter(entry -> ID.matcher(entry.getFileName().toString()).matches())
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  private static void deleteIfEmpty(Path dir) {
    try {
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // another replica of the service is still there
    }
  }

  private static void validate(ReplicaSpec spec) {
    Objects.requireNonNull(spec, "spec");
    checkIds(spec.serviceId(), spec.replicaId());
    checkKeys(spec.keys());
    if (spec.serviceName() == null || spec.serviceName().isBlank()) {
      throw new IllegalArgumentException("replica " + spec.serviceId() + "/" + spec.replicaId() + " has no service name");
    }
    if (spec.packageBlob() == null || spec.packageBlob().isBlank()) {
      throw new IllegalArgumentException("replica " + spec.serviceId() + "/" + spec.replicaId() + " has no package");
    }
    if (spec.packageSha256() != null && !PackageCache.isSha256(spec.packageSha256())) {
      throw new IllegalArgumentException("packageSha256 '" + spec.packageSha256() + "' is not a lower-case hex SHA-256");
    }
    if (spec.accelerator() == null) {
      throw new IllegalArgumentException("replica " + spec.serviceId() + "/" + spec.replicaId() + " has no accelerator");
    }
    if ((spec.tlsCertificate() == null) != (spec.tlsKey() == null)) {
      throw new IllegalArgumentException("TLS needs both a certificate and a key");
    }
  }

  private static void checkIds(String serviceId, String replicaId) {
    for (String id : new String[] {serviceId, replicaId}) {
      if (id == null || !ID.matcher(id).matches()) {
        throw new IllegalArgumentException("id '" + id + "' is not valid: " + idRule());
      }
    }
  }

  // One key per line in the key file: a key cannot hold a line break, and a replica without keys would refuse every call.
  private static void checkKeys(List<String> keys) {
    if (keys == null || keys.isEmpty() || keys.stream().anyMatch(key -> key == null || key.isBlank())) {
      throw new IllegalArgumentException("a replica needs at least one key, and no key may be blank");
    }
    if (keys.stream().anyMatch(key -> !key.equals(key.strip()) || key.contains("\n") || key.contains("\r"))) {
      throw new IllegalArgumentException("a key may not hold line breaks or surrounding spaces");
    }
  }

  private static String idRule() {
    return "use letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128 characters";
  }

  private static String message(Throwable e) {
    String text = e.getMessage();
    return text == null || text.isBlank() ? e.getClass().getSimpleName() : text;
  }

  private static Path javaCommand() {
    return ProcessHandle.current().info().command().map(Path::of)
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java"));
  }

  @Override
  public String toString() {
    return "LocalReplicaProvider[" + stateDir + "]";
  }
}
