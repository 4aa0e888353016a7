package io.realtimeai.events;

import java.time.Instant;
import java.util.Objects;

/**
 * An event as the outbox holds it: the event and where its delivery stands.
 *
 * @param event the event
 * @param delivered whether the topic has acknowledged it
 * @param deliveredAt when it was acknowledged; null while pending
 * @param attempts how many times it was sent
 * @param lastError why the last failed attempt failed; null when none failed
 */
public record RecordedEvent(Event event, boolean delivered, Instant deliveredAt, int attempts, String lastError) {
  public RecordedEvent {
    Objects.requireNonNull(event, "event");
  }
}
