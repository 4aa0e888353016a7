package io.realtimeai.app;

import io.realtimeai.events.EventOutbox;
import io.realtimeai.scoring.ResultStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * How long results and events are kept: {@value #SETTING} minutes when that setting is set, for good otherwise. A
 * result goes with its row and its document; an event with its rows, once delivered, or at once when no Event Grid
 * topic is configured (the outbox is then only a feed, and nothing would ever send it). Dropped images are their
 * owners' to keep or delete. Table Storage has no time-to-live of its own, and Azurite keeps every row and every blob's
 * properties in memory, answering each request more slowly as it holds more.
 */
public final class Retention {
  /** The setting: whole minutes, 1 or more; unset keeps results and events for good. */
  public static final String SETTING = "RETENTION_MINUTES";
  /** Results, or events, one round deletes. */
  static final int ROUND = 1000;
  /** Rounds one run makes of each at most: what is left waits for the next run. */
  static final int MAX_ROUNDS = 20;

  private final ResultStore results;
  private final EventOutbox outbox;
  private final BooleanSupplier publishing;
  private final Duration keep;

  /**
   * @param publishing whether a topic is configured: undelivered events are kept while it is
   * @param keep how long results and events are kept
   */
  Retention(ResultStore results, EventOutbox outbox, BooleanSupplier publishing, Duration keep) {
    this.results = results;
    this.outbox = outbox;
    this.publishing = publishing;
    this.keep = keep;
  }

  /** What {@value #SETTING} asks for: empty when it is not set; an error naming the setting when it is not 1 or more. */
  static Optional<Duration> setting() {
    if (AppSettings.get(SETTING).isEmpty()) {
      return Optional.empty();
    }
    int minutes = AppSettings.getInt(SETTING, 0);
    if (minutes < 1) {
      throw new IllegalStateException("setting " + SETTING + " must be 1 or more minutes (unset keeps results and"
          + " events for good), got " + minutes);
    }
    return Optional.of(Duration.ofMinutes(minutes));
  }

  /** Deletes the results scored and the events recorded more than the retention before {@code now}. */
  public Report expire(Instant now) {
    Instant before = now.minus(keep);
    int resultsDeleted = 0;
    for (int round = 0, deleted = ROUND; round < MAX_ROUNDS && deleted == ROUND; round++) {
      deleted = results.expire(before, ROUND);
      resultsDeleted += deleted;
    }
    boolean undelivered = !publishing.getAsBoolean();
    int eventsDeleted = 0;
    for (int round = 0, deleted = ROUND; round < MAX_ROUNDS && deleted == ROUND; round++) {
      deleted = outbox.expire(before, undelivered, ROUND);
      eventsDeleted += deleted;
    }
    return new Report(before, resultsDeleted, eventsDeleted);
  }

  /**
   * What one run deleted.
   *
   * @param before the cutoff: what was scored or recorded before it went
   * @param results results deleted, each its row and document
   * @param events events deleted
   */
  public record Report(Instant before, int results, int events) {
    /** True when the run deleted anything. */
    public boolean didWork() {
      return results + events > 0;
    }

    /** One line for the log. */
    public String summary() {
      return String.format(Locale.ROOT, "retention: deleted %d result(s) and %d event(s) from before %s", results, events,
          before);
    }
  }
}
