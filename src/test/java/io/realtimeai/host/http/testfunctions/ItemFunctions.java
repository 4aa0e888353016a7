package io.realtimeai.host.http.testfunctions;

import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatus;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import java.util.Optional;

/** Functions that exercise routing: parameters, constraints, a catch-all, a literal beside a parameter, two methods on one route. */
public final class ItemFunctions {
  /** What {@code GetItem} saw. */
  public record ItemView(String function, String id, String q) {}

  @FunctionName("GetItem")
  public HttpResponseMessage getItem(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "items/{id}",
          authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
      @BindingName("id") String id,
      @BindingName("q") String q) {
    return request.createResponseBuilder(HttpStatus.OK).body(new ItemView("GetItem", id, q)).build();
  }

  @FunctionName("GetSpecialItem")
  public HttpResponseMessage getSpecialItem(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "items/special",
          authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request) {
    return request.createResponseBuilder(HttpStatus.OK).body(new ItemView("GetSpecialItem", null, null)).build();
  }

  /** Answers 204 by returning null, as the Functions host does. */
  @FunctionName("DeleteItem")
  public HttpResponseMessage deleteItem(
      @HttpTrigger(name = "request", methods = {HttpMethod.DELETE}, route = "items/{id}",
          authLevel = AuthorizationLevel.FUNCTION) HttpRequestMessage<Optional<String>> request,
      @BindingName("id") String id) {
    return null;
  }

  @FunctionName("GetPage")
  public HttpResponseMessage getPage(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "pages/{number:int?}",
          authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
      @BindingName("number") Integer number) {
    return request.createResponseBuilder(HttpStatus.OK).body("page " + (number == null ? "none" : number)).build();
  }

  @FunctionName("GetFile")
  public HttpResponseMessage getFile(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "files/{*path}",
          authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
      @BindingName("path") String path) {
    return request.createResponseBuilder(HttpStatus.OK).body("path=" + path).build();
  }

  @FunctionName("GetOrder")
  public HttpResponseMessage getOrder(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "orders/{id:long}",
          authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
      @BindingName("id") long id) {
    return request.createResponseBuilder(HttpStatus.OK).body("order " + id).build();
  }
}
