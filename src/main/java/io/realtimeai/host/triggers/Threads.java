package io.realtimeai.host.triggers;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Named daemon threads, so a thread dump says which function's listener each thread serves. */
final class Threads {
  private Threads() {}

  /** A factory of daemon threads called {@code prefix-1}, {@code prefix-2} … */
  static ThreadFactory named(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
      // Daemon: a listener that was never stopped must not keep the JVM alive.
      thread.setDaemon(true);
      return thread;
    };
  }
}
