package io.realtimeai.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SummaryTest {
  @Test
  void rows_sayWhetherEachGoalIsMet() {
    Summary summary = new Summary();
    summary.atMost("p50 ratio", 1.02, 1.03);
    summary.atLeast("throughput ratio", 1.1, 1.3);
    summary.millisAtMost("HTTP delta", 0.4, 1.0);
    summary.notMeasured("batching", "≥ 1.30×", "--no-scoring");

    assertThat(summary.rows()).extracting(Summary.Row::met).containsExactly(true, false, true, null);
  }

  @Test
  void print_showsMeasuredGoalAndVerdict() {
    Summary summary = new Summary();
    summary.atMost("gRPC p50 / raw p50", 1.5, 1.03);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    summary.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));

    assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("gRPC p50 / raw p50", "1.500×", "≤ 1.03×", "NO");
  }

  @Test
  void latencyStats_percentilesAreNearestRank() {
    LatencyStats stats = new LatencyStats("x", new long[] {4_000_000, 1_000_000, 3_000_000, 2_000_000}, 10_000_000);

    assertThat(stats.percentileMillis(0.5)).isEqualTo(2.0);
    assertThat(stats.percentileMillis(0.99)).isEqualTo(4.0);
    assertThat(stats.throughput()).isEqualTo(400.0);
  }
}
