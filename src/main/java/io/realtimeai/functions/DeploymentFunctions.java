package io.realtimeai.functions;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.QueueTrigger;
import com.microsoft.azure.functions.annotation.TimerTrigger;
import io.realtimeai.app.App;
import io.realtimeai.deployment.DeploymentOrchestrator;
import io.realtimeai.deployment.ReplicaSupervisor;

/** The deployment orchestrator's steps (queue {@code deployments}) and the replica supervisor (every 2 s). */
public final class DeploymentFunctions {
  /** One step of an operation. */
  @FunctionName("DeploymentOrchestrator")
  public void advance(
      @QueueTrigger(name = "step", queueName = "deployments", connection = "AzureWebJobsStorage")
          DeploymentOrchestrator.StepMessage step,
      ExecutionContext context) {
    if (step == null || step.operationId() == null || step.step() == null) {
      throw new IllegalArgumentException("a deployments message must be {\"operationId\", \"step\", \"attempt\"}");
    }
    App.get().orchestrator().advance(step);
  }

  /** Restarts replicas that died and resends steps whose messages were lost. */
  @FunctionName("ReplicaSupervisor")
  public void supervise(@TimerTrigger(name = "timer", schedule = "*/2 * * * * *") String timer, ExecutionContext context) {
    ReplicaSupervisor.Report report = App.get().supervisor().supervise();
    if (report.didWork()) {
      context.getLogger().info(() -> "restarted " + report.restarted() + ", resent " + report.resent());
    }
  }
}
