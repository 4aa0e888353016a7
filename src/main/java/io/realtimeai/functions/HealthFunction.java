package io.realtimeai.functions;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import io.realtimeai.app.App;
import io.realtimeai.app.Health;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** {@code GET /api/health}: whether storage answers, and the versions in use; 503 when storage does not. */
public final class HealthFunction {
  @FunctionName("Health")
  public HttpResponseMessage run(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "health",
          authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
      ExecutionContext context) {
    return Http.handle(request, context, () -> {
      Health.Report report = App.get().health().check();
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("status", report.status());
      body.put("storage", report.storage());
      body.put("versions", report.versions());
      body.put("time", report.time());
      return Http.json(request, report.healthy() ? 200 : 503, body);
    });
  }
}
