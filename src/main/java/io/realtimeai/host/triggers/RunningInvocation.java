package io.realtimeai.host.triggers;

import io.realtimeai.host.InvocationContext;
import java.time.Duration;
import java.time.Instant;

/**
 * One invocation on its worker thread, as its listener's housekeeping (lease renewal, stop) sees it.
 * Java cannot kill a thread, so an invocation past {@code functionTimeout} is interrupted, once;
 * never after it has ended, where the interrupt would land on the listener's own storage calls.
 */
final class RunningInvocation {
  private final InvocationContext context;
  private final String subject;
  private final Thread worker;
  private final Instant started;
  private boolean ended;
  private boolean interrupted;

  /** Starts tracking an invocation that runs on the calling thread. */
  RunningInvocation(InvocationContext context, String subject) {
    this.context = context;
    this.subject = subject;
    this.worker = Thread.currentThread();
    this.started = Instant.now();
  }

  /** The invocation's context. */
  InvocationContext context() {
    return context;
  }

  /** What it runs on: a blob, a message. */
  String subject() {
    return subject;
  }

  /** Interrupts the worker if the invocation has run longer than {@code timeout}; true the first time it does. */
  synchronized boolean interruptIfOverdue(Duration timeout) {
    if (ended || interrupted || Duration.between(started, Instant.now()).compareTo(timeout) <= 0) {
      return false;
    }
    interrupted = true;
    worker.interrupt();
    return true;
  }

  /** Interrupts the worker unless the invocation has ended: for a stop whose grace ran out. */
  synchronized void interrupt() {
    if (!ended) {
      interrupted = true;
      worker.interrupt();
    }
  }

  /** Marks the end of the invocation; called on the worker, it clears an interrupt aimed at the function. */
  synchronized void end() {
    ended = true;
    if (Thread.currentThread() == worker) {
      Thread.interrupted();
    }
  }

  @Override
  public String toString() {
    return context.getFunctionName() + " invocation " + context.getInvocationId() + " on " + subject;
  }
}
