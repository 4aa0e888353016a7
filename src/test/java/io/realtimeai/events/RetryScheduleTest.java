package io.realtimeai.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Exponential backoff with jitter for events the topic did not take. */
class RetryScheduleTest {
  private final RetrySchedule schedule = RetrySchedule.DEFAULT;

  @Test
  void delayAfter_doublesFromOneSecondWithinHalfAndAllOfTheStep() {
    SplittableRandom random = new SplittableRandom(1);
    for (int attempt = 1; attempt <= 8; attempt++) {
      Duration step = Duration.ofSeconds(1L << (attempt - 1));
      for (int i = 0; i < 50; i++) {
        assertThat(schedule.delayAfter(attempt, random)).isBetween(step.dividedBy(2), step);
      }
    }
  }

  @Test
  void delayAfter_isCappedAtFiveMinutesHoweverManyAttemptsFailed() {
    SplittableRandom random = new SplittableRandom(2);
    for (int attempt : new int[] {10, 30, 64, 1_000, Integer.MAX_VALUE}) {
      assertThat(schedule.delayAfter(attempt, random)).isBetween(Duration.ofMinutes(5).dividedBy(2), Duration.ofMinutes(5));
    }
  }

  @Test
  void delayAfter_spreadsEventsThatFailedTogether() {
    SplittableRandom random = new SplittableRandom(3);
    long distinct = java.util.stream.IntStream.range(0, 20).mapToObj(i -> schedule.delayAfter(4, random)).distinct().count();

    assertThat(distinct).isGreaterThan(10);
  }

  @Test
  void schedule_refusesAMaxBelowTheFirstDelay() {
    assertThatThrownBy(() -> new RetrySchedule(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
