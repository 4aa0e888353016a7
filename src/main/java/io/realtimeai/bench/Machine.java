package io.realtimeai.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Names the machine a benchmark ran on, so figures can be read in context. */
public final class Machine {
  private Machine() {}

  /** CPU model, cores usable, memory (the machine's and the heap's), OS and Java, in one line. */
  public static String describe() {
    String cpu = "unknown CPU";
    try {
      cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip())
          .findFirst().orElse(cpu);
    } catch (IOException | RuntimeException ignored) {
      // not Linux: the OS name below still says what it ran on
    }
    String memory = "";
    try {
      memory = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
          .map(l -> String.format(Locale.ROOT, "%.1f GiB memory, ",
              Long.parseLong(l.replaceAll("[^0-9]", "")) / (double) (1L << 20)))
          .findFirst().orElse("");
    } catch (IOException | RuntimeException ignored) {
      // not Linux: the heap below is still said
    }
    return String.format(Locale.ROOT, "%s, %d cores usable, %s%.1f GiB heap max, %s %s, Java %s",
        cpu, Runtime.getRuntime().availableProcessors(), memory, Runtime.getRuntime().maxMemory() / (double) (1L << 30),
        System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"));
  }
}
