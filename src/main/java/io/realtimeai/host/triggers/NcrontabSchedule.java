package io.realtimeai.host.triggers;

import com.cronutils.model.Cron;
import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * A timer trigger's schedule: an NCRONTAB expression of six fields, {@code second minute hour
 * day month day-of-week}, evaluated in UTC as the Functions host does by default. Day of week runs
 * 0–6 from Sunday (or {@code SUN}–{@code SAT}); when both day fields are restricted a day must match
 * both, as in NCrontab (Unix cron would take either).
 */
public final class NcrontabSchedule {
  private static final CronDefinition NCRONTAB = CronDefinitionBuilder.defineCron()
      .withSeconds().withValidRange(0, 59).withStrictRange().and()
      .withMinutes().withValidRange(0, 59).withStrictRange().and()
      .withHours().withValidRange(0, 23).withStrictRange().and()
      .withDayOfMonth().withValidRange(1, 31).and()
      .withMonth().withValidRange(1, 12).and()
      .withDayOfWeek().withValidRange(0, 6).withMondayDoWValue(1).and()
      .matchDayOfWeekAndDayOfMonth()
      .instance();
  private static final CronParser PARSER = new CronParser(NCRONTAB);

  private final String expression;
  private final ExecutionTime executionTime;

  private NcrontabSchedule(String expression, Cron cron) {
    this.expression = expression;
    this.executionTime = ExecutionTime.forCron(cron);
  }

  /**
   * Parses a six-field NCRONTAB expression.
   *
   * @throws IllegalArgumentException naming the expression and what is wrong with it
   */
  public static NcrontabSchedule parse(String expression) {
    if (expression == null || expression.isBlank()) {
      throw new IllegalArgumentException("timer schedule is empty: give six NCRONTAB fields, e.g. '0 */5 * * * *'");
    }
    String trimmed = expression.strip().replaceAll("\\s+", " ");
    int fields = trimmed.split(" ").length;
    if (fields != 6) {
      throw new IllegalArgumentException("timer schedule '" + expression + "' has " + fields + " fields; NCRONTAB"
          + " needs six: second minute hour day month day-of-week");
    }
    try {
      return new NcrontabSchedule(trimmed, PARSER.parse(trimmed));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("timer schedule '" + expression + "' is not NCRONTAB: " + e.getMessage(), e);
    }
  }

  /** The expression as given. */
  public String expression() {
    return expression;
  }

  /** The first occurrence strictly after {@code instant}, if the schedule has one. */
  public Optional<Instant> next(Instant instant) {
    // Occurrences fall on whole seconds; from 12:00:00.400 the next of "every second" is 12:00:01.
    ZonedDateTime from = instant.truncatedTo(ChronoUnit.SECONDS).atZone(ZoneOffset.UTC);
    return executionTime.nextExecution(from).map(ZonedDateTime::toInstant);
  }

  /** The last occurrence strictly before {@code instant}, if the schedule has one. */
  public Optional<Instant> previous(Instant instant) {
    ZonedDateTime from = instant.atZone(ZoneOffset.UTC);
    return executionTime.lastExecution(from).map(ZonedDateTime::toInstant);
  }

  @Override
  public String toString() {
    return expression;
  }
}
