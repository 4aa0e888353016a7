package io.realtimeai.host.triggers.functions;

import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.TimerTrigger;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/** Timer-triggered functions for the trigger tests. */
public final class TimerFunctions {
  /** The TimerInfo JSON of each {@code TimerTick} run. */
  public static final Queue<String> TICKS = new ConcurrentLinkedQueue<>();
  public static final Probe TICK = new Probe();
  /** How long each {@code TimerTick} run takes: longer than its one-second period, to provoke overlaps. */
  public static volatile long tickMillis = 1_100;
  public static final AtomicInteger FAILURES = new AtomicInteger();

  @FunctionName("TimerTick")
  public void tick(@TimerTrigger(name = "timer", schedule = "* * * * * *") String timer) throws InterruptedException {
    TICK.enter();
    boolean completed = false;
    try {
      TICKS.add(timer);
      Thread.sleep(tickMillis);
      completed = true;
    } finally {
      TICK.exit(completed);
    }
  }

  @FunctionName("TimerFails")
  public void fails(@TimerTrigger(name = "timer", schedule = "*/1 * * * * *") String timer) {
    FAILURES.incrementAndGet();
    throw new IllegalStateException("timer run " + FAILURES.get() + " fails on purpose");
  }
}
