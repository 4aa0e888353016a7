package io.realtimeai.host.triggers;

import static io.realtimeai.storage.TableValues.json;

import io.realtimeai.host.Binding;
import io.realtimeai.host.FunctionInvoker;
import io.realtimeai.host.InvocationContext;
import io.realtimeai.host.TriggerListener;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A timer trigger: runs the function at each occurrence of its NCRONTAB schedule, passing a
 * {@link TimerInfo}. Runs happen one after another on the timer's own thread, so a timer never
 * overlaps itself: occurrences that pass while a run is still going are skipped, not queued. A run
 * that fails is logged and the timer goes on.
 */
public final class TimerTriggerListener implements TriggerListener {
  private static final Logger LOG = Logger.getLogger(TimerTriggerListener.class.getName());
  /** Later than this past its occurrence, a run reports {@code IsPastDue}. */
  private static final Duration PAST_DUE = Duration.ofSeconds(1);

  private final FunctionInvoker function;
  private final String functionName;
  private final Binding trigger;
  private final NcrontabSchedule schedule;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition stopping = lock.newCondition();
  private volatile boolean running;
  private volatile RunningInvocation current;
  private Thread thread;

  /**
   * A listener for one timer-triggered function.
   *
   * @throws IllegalArgumentException when its schedule is not a six-field NCRONTAB expression
   */
  public TimerTriggerListener(FunctionInvoker function) {
    this.function = function;
    this.functionName = function.descriptor().name();
    this.trigger = function.descriptor().trigger();
    if (!"timerTrigger".equals(trigger.type())) {
      throw new IllegalArgumentException("function " + functionName + " is not timer-triggered: " + trigger.type());
    }
    try {
      this.schedule = NcrontabSchedule.parse(trigger.string("schedule"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("function " + functionName + ": " + e.getMessage(), e);
    }
  }

  /** The schedule this timer follows. */
  public NcrontabSchedule schedule() {
    return schedule;
  }

  @Override
  public void start() {
    lock.lock();
    try {
      if (running) {
        return;
      }
      running = true;
    } finally {
      lock.unlock();
    }
    thread = Threads.named("timer-" + functionName).newThread(this::loop);
    thread.start();
    LOG.info(() -> "timer trigger " + functionName + " runs on '" + schedule + "' (UTC)"
        + schedule.next(Instant.now()).map(next -> ", next at " + next).orElse(", which has no next occurrence"));
  }

  @Override
  public void stop(Duration grace) throws InterruptedException {
    lock.lock();
    try {
      if (!running) {
        return;
      }
      running = false;
      stopping.signalAll();
    } finally {
      lock.unlock();
    }
    thread.join(Math.max(1, grace.toMillis()));
    RunningInvocation run = current;
    if (thread.isAlive() && run != null) {
      LOG.warning(() -> "stopping while " + run + " still runs: interrupted");
      run.interrupt();
    }
  }

  private void loop() {
    Instant cursor = Instant.now();
    Instant last = null;
    while (running) {
      Optional<Instant> next = schedule.next(cursor);
      if (next.isEmpty()) {
        LOG.info(() -> "timer trigger " + functionName + ": schedule '" + schedule + "' has no further occurrence");
        return;
      }
      if (!sleepUntil(next.get())) {
        return;
      }
      run(next.get(), last);
      last = next.get();
      // Occurrences that passed during the run are skipped: never two runs at once, never a burst of catch-up runs.
      Instant now = Instant.now();
      cursor = now.isAfter(last) ? now : last;
    }
  }

  private boolean sleepUntil(Instant when) {
    lock.lock();
    try {
      while (running) {
        long left = Duration.between(Instant.now(), when).toNanos();
        if (left <= 0) {
          return true;
        }
        stopping.awaitNanos(left);
      }
      return false;
    } catch (InterruptedException e) {
      return false;
    } finally {
      lock.unlock();
    }
  }

  private void run(Instant occurrence, Instant last) {
    Instant started = Instant.now();
    String previous = Optional.ofNullable(last).or(() -> schedule.previous(occurrence)).map(Instant::toString)
        .orElse(null);
    String following = schedule.next(occurrence).map(Instant::toString).orElse(null);
    TimerInfo info = new TimerInfo(new TimerInfo.Schedule(schedule.expression(), true),
        new TimerInfo.ScheduleStatus(previous, following, started.toString()),
        started.isAfter(occurrence.plus(PAST_DUE)));
    InvocationContext context = new InvocationContext(functionName);
    RunningInvocation invocation = new RunningInvocation(context, "occurrence " + occurrence);
    current = invocation;
    try {
      function.invoke(Map.of(trigger.name(), json(info)), Map.of(), context);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, e, () -> "function " + functionName + " invocation " + context.getInvocationId()
          + " failed at occurrence " + occurrence + ": " + e.getMessage() + "; the timer goes on");
    } finally {
      invocation.end();
      current = null;
    }
  }
}
