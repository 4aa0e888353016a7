package io.realtimeai.events;

/** Event Grid did not take a batch of events: the topic answered an error, or could not be reached. */
public class EventPublishException extends RuntimeException {
  private final int status;

  /**
   * A failed send.
   *
   * @param message what went wrong, for the outbox's {@code LastError}
   * @param status the HTTP status the topic answered, or 0 when it did not answer
   */
  public EventPublishException(String message, int status, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  /** The HTTP status the topic answered, or 0 when it did not answer. */
  public int status() {
    return status;
  }

  /**
   * Whether the topic refused the batch for something in it (400 bad event, 413 too large) rather
   * than for itself (unreachable, 401, 403, 429, 5xx): then the events are worth sending one by one.
   */
  public boolean refusedContent() {
    return status == 400 || status == 413;
  }
}
