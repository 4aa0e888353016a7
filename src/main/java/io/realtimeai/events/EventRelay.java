package io.realtimeai.events;

import io.realtimeai.events.EventOutbox.Delivery;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.logging.Logger;

/**
 * Sends what the outbox holds to Event Grid, in batches, and records the outcome of each event.
 *
 * <p><b>Delivery semantics: at least once, with stable ids.</b> An event leaves the outbox's
 * pending set only after the topic has acknowledged it. When a send fails — the topic answered
 * an error, timed out, or could not be reached — every event in it stays pending with its
 * attempt counted, its error kept, and its next attempt pushed back ({@link RetrySchedule}); no
 * event is ever dropped. A send whose acknowledgement was lost (the topic took the events but the
 * answer never arrived) is therefore sent again, and the events carry the same ids, derived from
 * the state change they report, so subscribers deduplicate on {@code id}. Order across events is
 * not guaranteed (retries and Event Grid itself reorder); {@code eventTime} says when each happened.
 *
 * <p>Relays on several hosts share the outbox without fighting: each claims an event by a
 * conditional update (ETag) before sending it, and one that loses the race skips the event. A
 * relay that dies holding a claim lets it lapse after {@value #CLAIM_MINUTES} minutes, and the
 * event is sent again.
 */
public final class EventRelay {
  /** Events read from the outbox at a time. */
  static final int BATCH = 100;
  /** The most events one run sends, so that a timer invocation ends. */
  static final int MAX_PER_RUN = 1_000;
  /** Event Grid takes up to 1 MB per request; half of it leaves room for the envelope. */
  static final long MAX_REQUEST_CHARS = 512 * 1024;
  static final int CLAIM_MINUTES = 2;
  // Longer than one send can take (the publisher's timeouts), so a live relay's claim never lapses.
  private static final Duration CLAIM = Duration.ofMinutes(CLAIM_MINUTES);
  private static final Logger LOG = Logger.getLogger(EventRelay.class.getName());

  private final EventOutbox outbox;
  private final EventPublisher publisher;
  private final RetrySchedule schedule;
  private final Clock clock;

  /** A relay from {@code outbox} to {@code publisher}'s topic, retrying on {@link RetrySchedule#DEFAULT}. */
  public EventRelay(EventOutbox outbox, EventPublisher publisher) {
    this(outbox, publisher, RetrySchedule.DEFAULT, Clock.systemUTC());
  }

  /** A relay with its own retry schedule and clock (tests use their own of both). */
  EventRelay(EventOutbox outbox, EventPublisher publisher, RetrySchedule schedule, Clock clock) {
    this.outbox = Objects.requireNonNull(outbox, "outbox");
    this.publisher = Objects.requireNonNull(publisher, "publisher");
    this.schedule = Objects.requireNonNull(schedule, "schedule");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Whether a topic is configured; without one, events are recorded and wait in the outbox. */
  public boolean publishing() {
    return publisher.enabled();
  }

  /**
   * Sends the pending events that are due, oldest first, until none is due, the topic fails, or
   * {@value #MAX_PER_RUN} were handled; marks each delivered, or failed with its next attempt.
   */
  public DeliveryReport deliverPending() {
    if (!publisher.enabled()) {
      return DeliveryReport.disabled();
    }
    Tally tally = new Tally();
    while (tally.handled() < MAX_PER_RUN) {
      List<Delivery> due = outbox.due(clock.instant(), BATCH);
      boolean topicFailed = false;
      for (List<Delivery> request : requests(due)) {
        if (!send(request, tally)) {
          // The topic is down or refusing us: the rest waits for the next run rather than failing too.
          topicFailed = true;
          break;
        }
      }
      if (topicFailed || due.size() < BATCH) {
        break;
      }
    }
    return tally.report();
  }

  /** Claims, sends and settles one request's events; false when the topic itself failed. */
  private boolean send(List<Delivery> request, Tally tally) {
    Instant now = clock.instant();
    List<Delivery> claimed = new ArrayList<>();
    for (Delivery delivery : request) {
      outbox.claim(delivery, now.plus(CLAIM)).ifPresentOrElse(claimed::add, () -> tally.skipped++);
    }
    if (claimed.isEmpty()) {
      return true;
    }
    try {
      publisher.publish(claimed.stream().map(Delivery::event).toList());
      claimed.forEach(delivery -> delivered(delivery, tally));
      return true;
    } catch (EventPublishException e) {
      if (claimed.size() > 1 && e.refusedContent()) {
        // One bad event must not hold the others back: send them one by one to find it.
        for (Delivery delivery : claimed) {
          try {
            publisher.publish(List.of(delivery.event()));
            delivered(delivery, tally);
          } catch (EventPublishException single) {
            failed(delivery, single, tally);
          }
        }
        return true;
      }
      claimed.forEach(delivery -> failed(delivery, e, tally));
      return e.refusedContent();
    }
  }

  private void delivered(Delivery delivery, Tally tally) {
    tally.delivered++;
    if (!outbox.markDelivered(delivery, clock.instant())) {
      LOG.info(() -> "event " + delivery.event().id() + " was delivered after its claim lapsed; another relay may send it again");
    }
  }

  private void failed(Delivery delivery, EventPublishException e, Tally tally) {
    tally.failed++;
    tally.lastError = e.getMessage();
    Instant next = clock.instant().plus(schedule.delayAfter(delivery.attempts() + 1));
    if (!outbox.markFailed(delivery, next, e.getMessage())) {
      LOG.info(() -> "event " + delivery.event().id() + " failed after its claim lapsed; another relay holds it");
    }
  }

  /** Splits due events into requests that Event Grid takes whole. */
  private static List<List<Delivery>> requests(List<Delivery> due) {
    List<List<Delivery>> requests = new ArrayList<>();
    List<Delivery> current = new ArrayList<>();
    long chars = 0;
    for (Delivery delivery : due) {
      Event event = delivery.event();
      long size = 256L + event.subject().length() + event.eventType().length() + EventJson.text(event.data()).length();
      if (!current.isEmpty() && chars + size > MAX_REQUEST_CHARS) {
        requests.add(current);
        current = new ArrayList<>();
        chars = 0;
      }
      current.add(delivery);
      chars += size;
    }
    if (!current.isEmpty()) {
      requests.add(current);
    }
    return requests;
  }

  /** Counts of one run. */
  private static final class Tally {
    int delivered;
    int failed;
    int skipped;
    String lastError;

    int handled() {
      return delivered + failed + skipped;
    }

    DeliveryReport report() {
      return new DeliveryReport(true, delivered, failed, skipped, lastError);
    }
  }
}
