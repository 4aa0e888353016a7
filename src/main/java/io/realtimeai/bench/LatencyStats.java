package io.realtimeai.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * Latency percentiles and throughput of a series of timed calls.
 *
 * @param name what was measured
 * @param nanos each call's duration, sorted
 * @param wallNanos the time the whole series took
 */
public record LatencyStats(String name, long[] nanos, long wallNanos) {
  public LatencyStats {
    nanos = nanos.clone();
    Arrays.sort(nanos);
  }

  /** The {@code q} quantile (0–1) in milliseconds, nearest-rank. */
  public double percentileMillis(double q) {
    int rank = (int) Math.ceil(q * nanos.length);
    return nanos[Math.max(0, Math.min(nanos.length - 1, rank - 1))] / 1e6;
  }

  /** Calls per second over the whole series. */
  public double throughput() {
    return nanos.length / (wallNanos / 1e9);
  }

  /** One aligned line: p50, p90, p99, and throughput. */
  public String line() {
    return String.format(Locale.ROOT, "  %-44s p50 %9.3f ms  p90 %9.3f ms  p99 %9.3f ms  %8.1f /s",
        name, percentileMillis(0.50), percentileMillis(0.90), percentileMillis(0.99), throughput());
  }
}
