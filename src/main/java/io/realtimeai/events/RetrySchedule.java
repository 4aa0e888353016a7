package io.realtimeai.events;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * When to try a failed event again: exponential backoff from {@code first}, doubling per failed
 * attempt up to {@code max}, with jitter so that events that failed together do not return together.
 *
 * @param first the delay after the first failure
 * @param max the longest delay
 */
public record RetrySchedule(Duration first, Duration max) {
  /** 1 s, doubling to 5 min. */
  public static final RetrySchedule DEFAULT = new RetrySchedule(Duration.ofSeconds(1), Duration.ofMinutes(5));

  public RetrySchedule {
    Objects.requireNonNull(first, "first");
    Objects.requireNonNull(max, "max");
    if (first.isNegative() || first.isZero() || max.compareTo(first) < 0) {
      throw new IllegalArgumentException("a retry schedule needs 0 < first <= max, got " + first + " and " + max);
    }
  }

  /** The delay after {@code failedAttempts} failed attempts (1 or more). */
  public Duration delayAfter(int failedAttempts) {
    return delayAfter(failedAttempts, ThreadLocalRandom.current());
  }

  /**
   * The delay after {@code failedAttempts} failed attempts, jittered with {@code random}: between
   * half and all of {@code min(max, first × 2^(failedAttempts − 1))}.
   */
  public Duration delayAfter(int failedAttempts, RandomGenerator random) {
    int doublings = Math.max(0, Math.min(failedAttempts - 1, 40));
    long firstNanos = first.toNanos();
    long maxNanos = max.toNanos();
    // Shifting past max would overflow long before 2^40 seconds; the cap is reached much earlier anyway.
    long base = doublings >= Long.numberOfLeadingZeros(firstNanos) - 1 ? maxNanos : Math.min(maxNanos, firstNanos << doublings);
    long half = base / 2;
    return Duration.ofNanos(base - half + random.nextLong(half + 1));
  }
}
