package io.realtimeai.functions;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import io.realtimeai.app.App;
import java.util.Optional;

/** {@code GET /api/operations/{id}}: the state of an asynchronous operation, and its error when it failed. */
public final class OperationsFunction {
  @FunctionName("GetOperation")
  public HttpResponseMessage get(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "operations/{id}",
          authLevel = AuthorizationLevel.FUNCTION) HttpRequestMessage<Optional<String>> request,
      @BindingName("id") String id,
      ExecutionContext context) {
    return Http.handle(request, context, () -> Http.json(request, 200, App.get().deployments().operation(id)));
  }
}
