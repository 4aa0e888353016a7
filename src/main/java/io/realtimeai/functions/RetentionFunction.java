package io.realtimeai.functions;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.TimerTrigger;
import io.realtimeai.app.App;
import io.realtimeai.app.Retention;
import java.time.Instant;

/** Every minute, when {@code RETENTION_MINUTES} is set: deletes the results and events older than it. */
public final class RetentionFunction {
  @FunctionName("Retention")
  public void run(@TimerTrigger(name = "timer", schedule = "0 * * * * *") String timer, ExecutionContext context) {
    App.get().retention().map(retention -> retention.expire(Instant.now())).filter(Retention.Report::didWork)
        .ifPresent(report -> context.getLogger().info(report.summary()));
  }
}
