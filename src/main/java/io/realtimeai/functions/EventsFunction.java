package io.realtimeai.functions;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import io.realtimeai.app.App;
import java.util.Optional;

/** {@code GET /api/events?since=&top=&continuation=}: the event outbox, oldest first, paged. */
public final class EventsFunction {
  @FunctionName("Events")
  public HttpResponseMessage run(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "events",
          authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
      ExecutionContext context) {
    return Http.handle(request, context,
        () -> Http.jsonText(request, 200, App.get().eventFeed().page(request.getQueryParameters())));
  }
}
