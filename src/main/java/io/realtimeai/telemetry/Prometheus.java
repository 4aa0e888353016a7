package io.realtimeai.telemetry;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The one way both processes make their metrics: a Micrometer Prometheus registry with the JVM's
 * memory, GC and CPU and the process's resident memory, and latency histograms on one fixed bucket
 * set, so that the runtime's and the app's histograms can be read side by side.
 */
public final class Prometheus {
  /** What a scrape answers: Prometheus text format 0.0.4. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** Bucket bounds for every latency histogram: 0.5 ms to 10 s, about three per decade. */
  static final Duration[] LATENCY_BUCKETS = {
      Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
      Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
      Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
      Duration.ofSeconds(5), Duration.ofSeconds(10)};

  /** Bucket bounds for batch sizes (rows per engine run). */
  private static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128};

  private static final Path STATUS = Path.of("/proc/self/status");

  private Prometheus() {}

  /**
   * A registry with the JVM's memory and processor metrics and {@code process_resident_memory_bytes};
   * GC metrics are bound apart ({@link #bindGc}), as they hold a listener that must be closed.
   */
  public static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    Gauge.builder("process.resident.memory", Prometheus::residentBytes)
        .description("Resident set size of the process (VmRSS), in bytes")
        .baseUnit("bytes")
        .register(registry);
    return registry;
  }

  /** Binds the JVM's GC metrics to {@code registry}; closing the answer removes their GC notification listeners. */
  public static JvmGcMetrics bindGc(PrometheusMeterRegistry registry) {
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    return gc;
  }

  /** A latency histogram ({@code <name>_seconds} with {@code _bucket}, {@code _count}, {@code _sum}) on the common buckets. */
  public static Timer.Builder latency(String name, String description) {
    return Timer.builder(name).description(description).serviceLevelObjectives(LATENCY_BUCKETS);
  }

  /** A histogram of batch sizes on powers of two up to 128. */
  public static DistributionSummary.Builder batchSizes(String name, String description) {
    return DistributionSummary.builder(name).description(description).serviceLevelObjectives(BATCH_BUCKETS);
  }

  /** The process's resident memory from {@code /proc/self/status} (Linux), or NaN where there is none. */
  static double residentBytes() {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith("VmRSS:")) {
          // "VmRSS:     123456 kB"
          String[] parts = line.substring(6).strip().split("\\s+");
          return Long.parseLong(parts[0]) * 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or /proc not mounted: no reading
    }
    return Double.NaN;
  }
}
