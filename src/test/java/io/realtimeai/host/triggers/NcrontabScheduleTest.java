package io.realtimeai.host.triggers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Six-field NCRONTAB schedules, in UTC, as the Functions host reads them. */
class NcrontabScheduleTest {
  @Test
  void next_everyFiveSecondsFallsOnMultiplesOfFive() {
    NcrontabSchedule schedule = NcrontabSchedule.parse("*/5 * * * * *");

    assertThat(schedule.next(Instant.parse("2024-06-03T12:00:03.400Z"))).contains(Instant.parse("2024-06-03T12:00:05Z"));
    assertThat(schedule.next(Instant.parse("2024-06-03T12:00:05Z"))).contains(Instant.parse("2024-06-03T12:00:10Z"));
  }

  @Test
  void next_everySecondIsTheNextWholeSecond() {
    NcrontabSchedule schedule = NcrontabSchedule.parse("* * * * * *");

    assertThat(schedule.next(Instant.parse("2024-06-03T12:00:00.999Z"))).contains(Instant.parse("2024-06-03T12:00:01Z"));
  }

  @Test
  void next_weekdaysSkipTheWeekend() {
    NcrontabSchedule schedule = NcrontabSchedule.parse("0 30 9 * * 1-5");

    // 2024-06-01 is a Saturday.
    assertThat(schedule.next(Instant.parse("2024-06-01T10:00:00Z"))).contains(Instant.parse("2024-06-03T09:30:00Z"));
  }

  @Test
  void next_dayOfWeekZeroAndSunAreSunday() {
    Instant monday = Instant.parse("2024-06-03T00:00:00Z");
    Instant sunday = Instant.parse("2024-06-09T12:00:00Z");

    assertThat(NcrontabSchedule.parse("0 0 12 * * 0").next(monday)).contains(sunday);
    assertThat(NcrontabSchedule.parse("0 0 12 * * Sun").next(monday)).contains(sunday);
  }

  @Test
  void next_bothDayFieldsMustMatchAsInNcrontab() {
    // Friday the 13th: 2024-09-13 is the first in 2024 (Unix cron would fire on every 13th and every Friday).
    assertThat(NcrontabSchedule.parse("0 0 0 13 * 5").next(Instant.parse("2024-01-01T00:00:00Z")))
        .contains(Instant.parse("2024-09-13T00:00:00Z"));
  }

  @Test
  void previous_isTheOccurrenceBefore() {
    assertThat(NcrontabSchedule.parse("0 */5 * * * *").previous(Instant.parse("2024-06-03T12:07:00Z")))
        .contains(Instant.parse("2024-06-03T12:05:00Z"));
  }

  @Test
  void parse_rejectsWhatIsNotSixFieldNcrontab() {
    assertThatThrownBy(() -> NcrontabSchedule.parse("*/5 * * * *")).hasMessageContaining("has 5 fields");
    assertThatThrownBy(() -> NcrontabSchedule.parse("61 * * * * *")).hasMessageContaining("is not NCRONTAB");
    assertThatThrownBy(() -> NcrontabSchedule.parse(" ")).hasMessageContaining("empty");
  }
}
