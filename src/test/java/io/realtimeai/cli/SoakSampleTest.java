package io.realtimeai.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The soak's CPU figures (per process, so that a runtime replaced between two samples does not read negative) and its
 * warm-up's length.
 */
class SoakSampleTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void cpuSince_countsWhatEachProcessUsedBetweenTheSamples() {
    SoakBench.Sample before = sample(Map.of(1L, Duration.ofMillis(300), 2L, Duration.ofMillis(900)));
    SoakBench.Sample after = sample(Map.of(1L, Duration.ofMillis(500), 2L, Duration.ofMillis(1000)));

    assertThat(after.cpuSince(before, SECOND).get("runtime")).isCloseTo(30.0, within(1e-9));
  }

  @Test
  void cpuSince_countsAReplacementRuntimeFromZeroAndNothingForTheOneGone() {
    // The runtime that had used 40 s exited; its replacement has used 0.25 s since it started.
    SoakBench.Sample before = sample(Map.of(7L, Duration.ofSeconds(40)));
    SoakBench.Sample after = sample(Map.of(8L, Duration.ofMillis(250)));

    assertThat(after.cpuSince(before, SECOND).get("runtime")).isCloseTo(25.0, within(1e-9));
  }

  @Test
  void sample_findsThisProcessAsTheHostWithItsMemoryAndCpuTime() {
    SoakBench.Sample sample = SoakBench.sample();

    assertThat(sample.rssMiB().get("host")).isPositive();
    assertThat(sample.cpu().get("host")).containsKey(ProcessHandle.current().pid());
    assertThat(sample.rssMiB()).containsKeys("runtime", "Azurite");
  }

  @Test
  void warmUp_isRoundedUpToWholeIntervals_andZeroIsNone() {
    Duration minute = Duration.ofMinutes(1);

    assertThat(SoakBench.intervalsCovering(Duration.ofMinutes(5), minute)).isEqualTo(5);
    assertThat(SoakBench.intervalsCovering(Duration.ofSeconds(20), minute)).isEqualTo(1);
    assertThat(SoakBench.intervalsCovering(Duration.ofSeconds(61), minute)).isEqualTo(2);
    assertThat(SoakBench.intervalsCovering(Duration.ZERO, minute)).isZero();
  }

  private static SoakBench.Sample sample(Map<Long, Duration> runtimes) {
    return new SoakBench.Sample(Map.of("runtime", 0L), Map.of("runtime", runtimes));
  }
}
