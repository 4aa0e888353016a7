package io.realtimeai.events;

/**
 * What one run of {@link EventRelay#deliverPending()} did.
 *
 * @param publishing whether a topic is configured; when not, nothing was sent and events wait in the outbox
 * @param delivered events the topic acknowledged
 * @param failed events the topic did not take, left pending for a later attempt
 * @param skipped events another relay claimed first
 * @param lastError the error of the last failed attempt in this run; null when none failed
 */
public record DeliveryReport(boolean publishing, int delivered, int failed, int skipped, String lastError) {
  /** The report of a relay without a topic. */
  public static DeliveryReport disabled() {
    return new DeliveryReport(false, 0, 0, 0, null);
  }

  /** Whether this run sent or tried to send anything. */
  public boolean didWork() {
    return delivered > 0 || failed > 0;
  }

  /** One line for the log. */
  public String summary() {
    if (!publishing) {
      return "event publishing disabled: no Event Grid topic configured; events wait in the outbox";
    }
    return "events: " + delivered + " delivered, " + failed + " failed, " + skipped + " claimed by another relay"
        + (lastError == null ? "" : "; last error: " + lastError);
  }
}
