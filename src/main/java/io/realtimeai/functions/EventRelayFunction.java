package io.realtimeai.functions;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.TimerTrigger;
import io.realtimeai.events.DeliveryReport;
import io.realtimeai.app.App;

/** Every two seconds: sends the outbox's due events to Event Grid. */
public final class EventRelayFunction {
  @FunctionName("EventRelay")
  public void run(@TimerTrigger(name = "timer", schedule = "*/2 * * * * *") String timer, ExecutionContext context) {
    DeliveryReport report = App.get().relay().deliverPending();
    if (report.didWork()) {
      context.getLogger().info(report.summary());
    }
  }
}
