package io.realtimeai.events;

import java.util.List;

/**
 * One page of the outbox, oldest first.
 *
 * @param events the events on this page
 * @param continuation the token that reads the next page; null on the last page
 */
public record EventPage(List<RecordedEvent> events, String continuation) {
  public EventPage {
    events = List.copyOf(events);
  }

  /** Whether another page follows. */
  public boolean hasMore() {
    return continuation != null;
  }
}
