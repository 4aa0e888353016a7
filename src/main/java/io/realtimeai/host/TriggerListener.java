package io.realtimeai.host;

import java.time.Duration;

/**
 * What turns one kind of trigger into invocations: the HTTP server, a blob container scan, a queue
 * poll, a timer. The local host starts each one and, on a graceful stop, stops them taking new
 * work and waits for the invocations in flight.
 */
public interface TriggerListener {
  /** Starts listening. */
  void start() throws Exception;

  /** Stops taking new work, then waits up to {@code grace} for invocations in flight to finish. */
  void stop(Duration grace) throws InterruptedException;
}
