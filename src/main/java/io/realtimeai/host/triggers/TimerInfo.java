package io.realtimeai.host.triggers;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The value a timer trigger passes its function, in the Functions host's {@code TimerInfo} shape:
 * {@code {"Schedule":{…},"ScheduleStatus":{"Last":…,"Next":…,"LastUpdated":…},"IsPastDue":false}}.
 * A function can take it as a String (the JSON) or as a record of its own with these names.
 *
 * @param schedule the schedule that fired
 * @param scheduleStatus the previous, this and the next occurrence
 * @param isPastDue true when this run starts later than its occurrence by more than a second
 */
public record TimerInfo(
    @JsonProperty("Schedule") Schedule schedule,
    @JsonProperty("ScheduleStatus") ScheduleStatus scheduleStatus,
    @JsonProperty("IsPastDue") boolean isPastDue) {

  /**
   * The schedule, as the host describes its cron schedules.
   *
   * @param expression the NCRONTAB expression
   * @param adjustForDst always true, as the host reports for cron schedules
   */
  public record Schedule(
      @JsonProperty("Expression") String expression,
      @JsonProperty("AdjustForDST") boolean adjustForDst) {}

  /**
   * Where the schedule stands, ISO-8601 UTC.
   *
   * @param last the occurrence before this one (the previous run, or the schedule's previous occurrence on the first)
   * @param next the occurrence after this one
   * @param lastUpdated when this status was computed
   */
  public record ScheduleStatus(
      @JsonProperty("Last") String last,
      @JsonProperty("Next") String next,
      @JsonProperty("LastUpdated") String lastUpdated) {}
}
