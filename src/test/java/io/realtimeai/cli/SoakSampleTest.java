package io.realtimeai.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The soak's CPU figures (per process, so that a runtime replaced between two samples does not read negative), its
 * warm-up's length, the bounds it gives each p99, and the trend of memory.
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

  @Test
  void quantileRanks_ofTheMedianOfAHundred_areTheTextbook40thAnd61st() {
    assertThat(SoakBench.quantileRanks(100, 0.5, 0.95)).containsExactly(40, 61);
  }

  @Test
  void quantileRanks_ofAP99_holdTheTrueP99AtLeast95TimesInAHundred() {
    // 900 calls, a five-minute window at 3 a second: the p99 is the 10th slowest, and it lies between the 16th and the
    // 4th slowest. Drawn from a distribution whose p99 is known, the bounds hold it as often as they say.
    int[] ranks = SoakBench.quantileRanks(900, 0.99, 0.95);
    assertThat(ranks).containsExactly(885, 897);
    SplittableRandom random = new SplittableRandom(3);
    int trials = 4000;
    int held = 0;
    for (int trial = 0; trial < trials; trial++) {
      double[] values = random.doubles(900).map(u -> -Math.log(1 - u)).sorted().toArray();
      double trueP99 = -Math.log(0.01);
      if (values[ranks[0] - 1] <= trueP99 && trueP99 <= values[ranks[1] - 1]) {
        held++;
      }
    }
    assertThat((double) held / trials).isBetween(0.94, 0.975);
  }

  @Test
  void quantileRanks_ofAP99_fromTooFewValues_haveNoUpperBound() {
    int[] ranks = SoakBench.quantileRanks(50, 0.99, 0.95);

    assertThat(ranks[1]).isGreaterThan(50);
    assertThat(SoakBench.quantileRanks(0, 0.99, 0.95)).containsExactly(0, 1);
  }

  @Test
  void trendPercent_ofAStraightRise_isTheRiseOverTheMean_andASwingBackIsNone() {
    // 100 to 110 MiB in even steps: a rise of 10 over a mean of 105.
    List<Double> rising = java.util.stream.IntStream.rangeClosed(0, 10).mapToObj(i -> 100.0 + i).toList();
    assertThat(SoakBench.trendPercent(rising)).isCloseTo(100 * 10 / 105.0, within(1e-9));
    // A swing symmetric about the middle of the run has no trend, however far it swings.
    List<Double> swing = List.of(198.0, 230.0, 243.0, 220.0, 176.0, 170.0, 176.0, 220.0, 243.0, 230.0, 198.0);
    assertThat(SoakBench.trendPercent(swing)).isCloseTo(0.0, within(1e-9));
    assertThat(SoakBench.trendPercent(List.of(5.0))).isZero();
  }

  private static SoakBench.Sample sample(Map<Long, Duration> runtimes) {
    return new SoakBench.Sample(Map.of("runtime", 0L), Map.of("runtime", runtimes));
  }
}
