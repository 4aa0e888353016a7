package io.realtimeai.host.triggers.functions;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a test function records about its own concurrency, and a gate that holds its invocations
 * until the test lets them finish.
 */
public final class Probe {
  private final AtomicInteger current = new AtomicInteger();
  private final AtomicInteger max = new AtomicInteger();
  private final AtomicInteger started = new AtomicInteger();
  private final AtomicInteger finished = new AtomicInteger();
  private volatile Semaphore gate = open();

  /** Forgets everything and opens the gate. */
  public void reset() {
    current.set(0);
    max.set(0);
    started.set(0);
    finished.set(0);
    gate = open();
  }

  /** Makes later invocations wait in {@link #pass} until {@link #release} lets them through. */
  public void close() {
    gate = new Semaphore(0);
  }

  /** Lets {@code count} waiting (or future) invocations through. */
  public void release(int count) {
    gate.release(count);
  }

  /** Opens the gate for good. */
  public void openWide() {
    gate.release(Integer.MAX_VALUE / 2);
  }

  /** Called first by the function: counts it as running. */
  public void enter() {
    started.incrementAndGet();
    max.accumulateAndGet(current.incrementAndGet(), Math::max);
  }

  /** Waits at the gate; an interrupt (a stop whose grace ran out) fails the invocation. */
  public void pass() throws InterruptedException {
    gate.acquire();
  }

  /** Called last by the function, in a finally block. */
  public void exit(boolean completed) {
    current.decrementAndGet();
    if (completed) {
      finished.incrementAndGet();
    }
  }

  /** Invocations running now. */
  public int current() {
    return current.get();
  }

  /** The most that ever ran at once. */
  public int max() {
    return max.get();
  }

  /** Invocations started. */
  public int started() {
    return started.get();
  }

  /** Invocations that ran to the end. */
  public int finished() {
    return finished.get();
  }

  private static Semaphore open() {
    return new Semaphore(Integer.MAX_VALUE / 2);
  }
}
