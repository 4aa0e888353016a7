package io.realtimeai.host.triggers;

import static io.realtimeai.host.triggers.TriggerTestApp.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.realtimeai.host.triggers.functions.TimerFunctions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Timer triggers on the real clock: every-second schedules, runs longer than the period, failures. */
@Tag("integration")
class TimerTriggerListenerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @BeforeEach
  void reset() {
    TimerFunctions.TICKS.clear();
    TimerFunctions.TICK.reset();
    TimerFunctions.FAILURES.set(0);
  }

  @Test
  void timer_firesRepeatedlyAndNeverOverlapsItself() throws Exception {
    TimerTriggerListener listener = new TimerTriggerListener(TriggerTestApp.function("TimerTick"));
    listener.start();
    try {
      // Each run lasts longer than the one-second period: a timer that overlapped would have two at once.
      await("two runs", () -> TimerFunctions.TICK.started() >= 2);
    } finally {
      listener.stop(Duration.ofSeconds(10));
    }

    assertThat(TimerFunctions.TICK.max()).isEqualTo(1);
    assertThat(TimerFunctions.TICK.current()).as("running after stop").isZero();
    assertThat(TimerFunctions.TICK.finished()).as("every run finished").isEqualTo(TimerFunctions.TICK.started());
  }

  @Test
  void timer_passesTimerInfoWithItsScheduleStatus() throws Exception {
    TimerFunctions.tickMillis = 0;
    TimerTriggerListener listener = new TimerTriggerListener(TriggerTestApp.function("TimerTick"));
    listener.start();
    try {
      await("two runs", () -> TimerFunctions.TICKS.size() >= 2);
    } finally {
      listener.stop(Duration.ofSeconds(10));
      TimerFunctions.tickMillis = 1_100;
    }

    List<TimerInfo> infos = TimerFunctions.TICKS.stream().map(TimerTriggerListenerTest::parse).toList();
    TimerInfo first = infos.get(0);
    TimerInfo second = infos.get(1);
    assertThat(first.schedule().expression()).isEqualTo("* * * * * *");
    assertThat(first.isPastDue()).isFalse();
    Instant next = Instant.parse(first.scheduleStatus().next());
    assertThat(next).isAfter(Instant.parse(first.scheduleStatus().last()));
    assertThat(Instant.parse(second.scheduleStatus().last())).isBefore(Instant.parse(second.scheduleStatus().next()));
  }

  @Test
  void failingTimer_isLoggedAndKeepsFiring() throws Exception {
    TimerTriggerListener listener = new TimerTriggerListener(TriggerTestApp.function("TimerFails"));
    listener.start();
    try {
      await("a run after a failed one", () -> TimerFunctions.FAILURES.get() >= 2);
    } finally {
      listener.stop(Duration.ofSeconds(5));
    }
  }

  private static TimerInfo parse(String json) {
    try {
      return JSON.readValue(json, TimerInfo.class);
    } catch (Exception e) {
      throw new IllegalStateException(json, e);
    }
  }
}
