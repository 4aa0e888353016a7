package io.realtimeai.host.http.testfunctions;

import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatus;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** Functions that take bodies of each declared type, and one that shows the whole request. */
public final class BodyFunctions {
  /** How many times {@code CreateOrder} ran: a malformed body must not reach it. */
  public static final AtomicInteger ORDERS_CREATED = new AtomicInteger();

  /** The body {@code CreateOrder} takes. */
  public record OrderRequest(String sku, int quantity) {}

  /** What {@code CreateOrder} answers. */
  public record OrderAccepted(String sku, int quantity, String status) {}

  /** What {@code Inspect} saw. */
  public record RequestView(String method, String uri, Map<String, String> headers, Map<String, String> query, String body) {}

  @FunctionName("EchoText")
  public HttpResponseMessage echoText(
      @HttpTrigger(name = "request", methods = {HttpMethod.POST}, route = "echo/text",
          authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request) {
    return request.createResponseBuilder(HttpStatus.OK).body(request.getBody().orElse("(no body)")).build();
  }

  @FunctionName("EchoBytes")
  public HttpResponseMessage echoBytes(
      @HttpTrigger(name = "request", methods = {HttpMethod.POST, HttpMethod.PUT}, route = "echo/bytes",
          authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<byte[]> request) {
    return request.createResponseBuilder(HttpStatus.OK).body(request.getBody()).build();
  }

  @FunctionName("CreateOrder")
  public HttpResponseMessage createOrder(
      @HttpTrigger(name = "request", methods = {HttpMethod.POST}, route = "orders",
          authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<OrderRequest> request) {
    ORDERS_CREATED.incrementAndGet();
    OrderRequest order = request.getBody();
    return request.createResponseBuilder(HttpStatus.CREATED)
        .header("Location", "/api/orders/1")
        .body(new OrderAccepted(order.sku(), order.quantity(), "accepted"))
        .build();
  }

  @FunctionName("Upload")
  public HttpResponseMessage upload(
      @HttpTrigger(name = "request", methods = {HttpMethod.POST}, route = "upload",
          authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<byte[]>> request) {
    return request.createResponseBuilder(HttpStatus.OK)
        .header("Content-Type", "application/json")
        .body("{\"bytes\":" + request.getBody().map(b -> b.length).orElse(0) + "}")
        .build();
  }

  /** No route and no methods: served at its own name, for every method. */
  @FunctionName("Inspect")
  public HttpResponseMessage inspect(
      @HttpTrigger(name = "request", authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request) {
    return request.createResponseBuilder(HttpStatus.OK)
        .body(new RequestView(request.getHttpMethod().name(), request.getUri().toString(), request.getHeaders(),
            request.getQueryParameters(), request.getBody().orElse(null)))
        .build();
  }
}
