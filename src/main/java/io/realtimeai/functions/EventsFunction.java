package io.realtimeai.functions;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatus;
import com.microsoft.azure.functions.HttpStatusType;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import io.realtimeai.error.RealtimeAiException;
import io.realtimeai.events.Events;
import java.util.Optional;

/** {@code GET /api/events?since=&top=&continuation=}: the event outbox, oldest first, paged. */
public final class EventsFunction {
  @FunctionName("Events")
  public HttpResponseMessage run(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "events",
          authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
      ExecutionContext context) {
    try {
      String body = Events.feed().page(request.getQueryParameters());
      return request.createResponseBuilder(HttpStatus.OK).header("Content-Type", "application/json").body(body).build();
    } catch (RealtimeAiException e) {
      return error(request, e);
    }
  }

  // {"error": {code, message, details}}, as every API error of DESIGN §4.
  private static HttpResponseMessage error(HttpRequestMessage<?> request, RealtimeAiException e) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    ObjectNode error = body.putObject("error").put("code", e.code()).put("message", e.getMessage());
    ArrayNode details = error.putArray("details");
    e.details().forEach(details::add);
    return request.createResponseBuilder(HttpStatusType.custom(e.httpStatus()))
        .header("Content-Type", "application/json").body(body.toString()).build();
  }
}
