package io.realtimeai.pipeline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How many ONNX Runtime intra-op threads this process should use, from the cores it may really use.
 *
 * <p>ONNX Runtime's own choice picked 1 thread on a 2-core VM (ResNet-50 41 ms against 24 ms at 2), so the
 * runtime reads the CPU quota of its cgroup and its CPU affinity, takes the smaller, and sizes the pool from it.
 *
 * @param intraOpThreads threads per session
 * @param usableCores cores this process may use: the smaller of its affinity and its cgroup quota
 * @param affinity cores in its CPU affinity mask
 * @param quota cores its cgroup quota allows, empty when there is no quota or it could not be read
 * @param reason why, in one line
 */
public record EngineThreads(int intraOpThreads, int usableCores, int affinity, OptionalInt quota, String reason) {

  /** Up to this many cores every core runs the engine: at batch 1 gRPC and decoding work between engine runs. */
  static final int ALL_CORES_UP_TO = 4;

  public EngineThreads {
    if (intraOpThreads < 1 || usableCores < 1 || affinity < 1 || quota == null || reason == null) {
      throw new IllegalArgumentException("engine threads must be positive");
    }
  }

  /** The threads for this process, from /proc and /sys/fs/cgroup. */
  public static EngineThreads detect() {
    return detect(Path.of("/proc"), Path.of("/sys/fs/cgroup"), Runtime.getRuntime().availableProcessors());
  }

  /** The threads for a process whose /proc and cgroup file system are at these folders (tests pass copies). */
  public static EngineThreads detect(Path procRoot, Path cgroupRoot, int availableProcessors) {
    List<String> notes = new ArrayList<>();
    int affinity = affinity(procRoot, notes).orElse(Math.max(1, availableProcessors));
    OptionalInt quota = quota(procRoot, cgroupRoot, notes);
    int usable = quota.isPresent() ? Math.min(affinity, quota.getAsInt()) : affinity;
    int threads = usable <= ALL_CORES_UP_TO ? usable : usable - 1;
    String reason = threads + " intra-op threads (" + usable + " usable cores: affinity " + affinity
        + ", cgroup quota " + (quota.isPresent() ? quota.getAsInt() : "none")
        + (notes.isEmpty() ? "" : "; " + String.join("; ", notes)) + ")";
    return new EngineThreads(threads, usable, affinity, quota, reason);
  }

  /** The thread count for options that ask for {@code requested} threads: 0 means from the machine. */
  public static int resolve(int requested) {
    return choose(requested).intraOpThreads();
  }

  /** What options asking for {@code requested} threads get: the machine's choice for 0, else that count, said so. */
  public static EngineThreads choose(int requested) {
    EngineThreads detected = detect();
    return requested > 0 ? detected.overriddenBy(requested) : detected;
  }

  /** This machine's reading with {@code threads} chosen by the user instead. */
  EngineThreads overriddenBy(int threads) {
    return new EngineThreads(threads, usableCores, affinity, quota, threads + " intra-op threads (set by"
        + " --intra-op-threads; " + usableCores + " usable cores)");
  }

  /** One line saying what was chosen and why. */
  public String describe() {
    return reason;
  }

  /** Parses a cgroup v2 {@code cpu.max} line: "max 100000" is no quota, "150000 100000" is 2 cores. */
  static OptionalInt parseCpuMax(String text) {
    String[] parts = text.trim().split("\\s+");
    if (parts.length < 1 || parts.length > 2 || parts[0].isEmpty()) {
      throw new IllegalArgumentException("cpu.max is not '<quota> <period>': " + text.strip());
    }
    if (parts[0].equals("max")) {
      return OptionalInt.empty();
    }
    long period = parts.length == 2 ? Long.parseLong(parts[1]) : 100_000L;
    return cores(Long.parseLong(parts[0]), period);
  }

  /** Parses cgroup v1 {@code cpu.cfs_quota_us} and {@code cpu.cfs_period_us}: a quota of -1 is none. */
  static OptionalInt parseCfs(String quotaText, String periodText) {
    long quota = Long.parseLong(quotaText.trim());
    if (quota < 0) {
      return OptionalInt.empty();
    }
    return cores(quota, Long.parseLong(periodText.trim()));
  }

  /** Counts the CPUs in a list such as "0-3,8,10-11". */
  static int parseCpuList(String text) {
    int count = 0;
    for (String range : text.trim().split(",")) {
      String[] ends = range.trim().split("-");
      int low = Integer.parseInt(ends[0]);
      int high = ends.length == 2 ? Integer.parseInt(ends[1]) : low;
      if (ends.length > 2 || high < low) {
        throw new IllegalArgumentException("not a CPU list: " + text.strip());
      }
      count += high - low + 1;
    }
    return count;
  }

  private static OptionalInt cores(long quota, long period) {
    if (quota <= 0 || period <= 0) {
      throw new IllegalArgumentException("CPU quota and period must be positive: " + quota + "/" + period);
    }
    // A quota of 1.5 cores lets two threads run most of the time; rounding down would leave one idle.
    return OptionalInt.of((int) Math.max(1, (quota + period - 1) / period));
  }

  private static OptionalInt affinity(Path procRoot, List<String> notes) {
    Path status = procRoot.resolve("self/status");
    try {
      for (String line : Files.readAllLines(status, StandardCharsets.UTF_8)) {
        if (line.startsWith("Cpus_allowed_list:")) {
          return OptionalInt.of(parseCpuList(line.substring("Cpus_allowed_list:".length())));
        }
      }
      notes.add("no Cpus_allowed_list, affinity from the JVM");
    } catch (IOException | RuntimeException e) {
      notes.add("affinity from the JVM: " + status + " unreadable (" + e.getMessage() + ")");
    }
    return OptionalInt.empty();
  }

  private static OptionalInt quota(Path procRoot, Path cgroupRoot, List<String> notes) {
    List<String> paths = cgroupPaths(procRoot);
    // The process's own cgroup first, then the root: inside a container the root is the container's cgroup.
    for (String controller : List.of("v2", "v1")) {
      for (Path folder : folders(cgroupRoot, controller, paths)) {
        try {
          Optional<OptionalInt> found = readQuota(folder, controller);
          if (found.isPresent()) {
            return found.get();
          }
        } catch (IOException | RuntimeException e) {
          notes.add("quota ignored: " + folder + " unreadable (" + e.getMessage() + ")");
          return OptionalInt.empty();
        }
      }
    }
    return OptionalInt.empty();
  }

  private static Optional<OptionalInt> readQuota(Path folder, String controller) throws IOException {
    if (controller.equals("v2")) {
      Path max = folder.resolve("cpu.max");
      return Files.isRegularFile(max)
          ? Optional.of(parseCpuMax(Files.readString(max, StandardCharsets.UTF_8))) : Optional.empty();
    }
    Path quota = folder.resolve("cpu.cfs_quota_us");
    Path period = folder.resolve("cpu.cfs_period_us");
    return Files.isRegularFile(quota) && Files.isRegularFile(period)
        ? Optional.of(parseCfs(Files.readString(quota, StandardCharsets.UTF_8),
            Files.readString(period, StandardCharsets.UTF_8)))
        : Optional.empty();
  }

  /** The cgroup path of each line of /proc/self/cgroup, v2's ("0::/x") under the key "v2", v1's cpu under "v1". */
  private static List<String> cgroupPaths(Path procRoot) {
    List<String> paths = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(procRoot.resolve("self/cgroup"), StandardCharsets.UTF_8)) {
        String[] fields = line.split(":", 3);
        if (fields.length != 3) {
          continue;
        }
        if (fields[0].equals("0") && fields[1].isEmpty()) {
          paths.add("v2=" + fields[2]);
        } else if (List.of(fields[1].split(",")).contains("cpu")) {
          paths.add("v1=" + fields[2]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // Without /proc/self/cgroup the root folders below are still read.
    }
    return paths;
  }

  private static List<Path> folders(Path cgroupRoot, String controller, List<String> paths) {
    List<Path> folders = new ArrayList<>();
    Path base = controller.equals("v2") ? cgroupRoot : cgroupRoot.resolve("cpu");
    for (String entry : paths) {
      if (entry.startsWith(controller + "=")) {
        String relative = entry.substring(3).replaceFirst("^/+", "");
        if (!relative.isEmpty() && !relative.contains("..")) {
          folders.add(base.resolve(relative));
        }
      }
    }
    folders.add(base);
    if (controller.equals("v1")) {
      folders.add(cgroupRoot.resolve("cpu,cpuacct"));
    }
    return folders;
  }
}
