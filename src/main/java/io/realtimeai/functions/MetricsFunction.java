package io.realtimeai.functions;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatus;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import io.realtimeai.app.App;
import io.realtimeai.telemetry.AppMetrics;
import io.realtimeai.telemetry.Prometheus;
import java.util.Optional;

/**
 * {@code GET /api/metrics}: the app's metrics in Prometheus text format (HTTP scoring, drop-folder
 * jobs, deployments, backlogs, JVM and process memory), keyed like the other read routes.
 */
public final class MetricsFunction {
  /** Answers this process's metrics, the storage backlogs read at most every 5 s. */
  @FunctionName("Metrics")
  public HttpResponseMessage metrics(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "metrics",
          authLevel = AuthorizationLevel.FUNCTION) HttpRequestMessage<Optional<String>> request,
      ExecutionContext context) {
    return Http.handle(request, context, () -> request.createResponseBuilder(HttpStatus.OK)
        .header("Content-Type", Prometheus.CONTENT_TYPE)
        .body(scrape(App.get()))
        .build());
  }

  private static String scrape(App app) {
    return AppMetrics.scrape(app.storage(), app.events());
  }
}
