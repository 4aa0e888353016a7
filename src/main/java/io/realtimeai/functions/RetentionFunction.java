package io.realtimeai.functions;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.TimerTrigger;
import io.realtimeai.app.App;
import io.realtimeai.app.Retention;
import java.time.Instant;
import java.util.Optional;

/** Every minute, when {@code RETENTION_MINUTES} is set: deletes the results and events older than it. */
public final class RetentionFunction {
  @FunctionName("Retention")
  public void run(@TimerTrigger(name = "timer", schedule = "0 * * * * *") String timer, ExecutionContext context) {
    Optional<Retention> retention;
    try {
      retention = App.get().retention();
    } catch (IllegalStateException e) {
      // A setting an operator got wrong: one line naming it each minute, not a stack trace.
      context.getLogger().severe(e.getMessage() + "; nothing is deleted until it is");
      return;
    }
    retention.map(r -> r.expire(Instant.now())).filter(Retention.Report::didWork)
        .ifPresent(report -> context.getLogger().info(report.summary()));
  }
}
