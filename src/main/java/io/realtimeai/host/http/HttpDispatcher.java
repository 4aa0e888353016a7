package io.realtimeai.host.http;

import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.realtimeai.error.RealtimeAiException;
import io.realtimeai.host.Binding;
import io.realtimeai.host.FunctionAnnotations;
import io.realtimeai.host.FunctionInvoker;
import io.realtimeai.host.InvocationContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.URI;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Turns one HTTP exchange into one invocation: finds the route, reads and converts the body, invokes
 * the function with its {@link InvocationContext}, and writes what it returned; every refusal on the
 * way is a JSON error {@code {"error":{"code","message","details"}}}.
 */
final class HttpDispatcher implements HttpHandler {
  private static final Logger LOG = Logger.getLogger(HttpListener.class.getName());

  private final RouteTable<Target> routes;
  private final long maxRequestBytes;

  /**
   * How a function takes its request.
   *
   * @param invoker the function
   * @param triggerName the trigger binding's name
   * @param bodyType the type its body converts to ({@code T} of {@code HttpRequestMessage<T>}, or the parameter's own type)
   * @param wantsMessage true when the parameter is an {@code HttpRequestMessage}, false when it binds the body itself
   */
  record Target(FunctionInvoker invoker, String triggerName, Type bodyType, boolean wantsMessage) {
    /** How {@code invoker}'s method declares its trigger parameter. */
    static Target of(FunctionInvoker invoker) {
      String triggerName = invoker.descriptor().trigger().name();
      for (Parameter parameter : invoker.method().getParameters()) {
        if (FunctionAnnotations.bindingName(parameter).filter(triggerName::equals).isPresent()) {
          Type type = parameter.getParameterizedType();
          if (HttpRequestMessage.class.isAssignableFrom(parameter.getType())) {
            Type body = type instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : Object.class;
            return new Target(invoker, triggerName, body, true);
          }
          return new Target(invoker, triggerName, type, false);
        }
      }
      return new Target(invoker, triggerName, String.class, true);
    }
  }

  /**
   * What goes back to the client.
   *
   * @param status the status code
   * @param headers response headers
   * @param body the body bytes (empty for none)
   */
  record Reply(int status, Map<String, String> headers, byte[] body) {
    static Reply error(int status, String code, String message, List<String> details) {
      Map<String, Object> error = new LinkedHashMap<>();
      error.put("code", code);
      error.put("message", message);
      error.put("details", details);
      return new Reply(status, Map.of("Content-Type", "application/json; charset=utf-8"),
          HttpBodies.encode(Map.of("error", error)).bytes());
    }

    static Reply error(RealtimeAiException e) {
      return error(e.httpStatus(), e.code(), e.getMessage(), e.details());
    }

    Reply withHeader(String name, String value) {
      Map<String, String> more = new LinkedHashMap<>(headers);
      more.put(name, value);
      return new Reply(status, more, body);
    }
  }

  HttpDispatcher(RouteTable<Target> routes, long maxRequestBytes) {
    this.routes = routes;
    this.maxRequestBytes = maxRequestBytes;
  }

  @Override
  public void handle(HttpExchange exchange) {
    long started = System.nanoTime();
    int status = 0;
    try {
      Reply reply;
      try {
        reply = reply(exchange);
      } catch (RuntimeException e) {
        // a fault of the host itself, not of a function: still a JSON answer, and the server goes on
        LOG.log(Level.SEVERE, "the local host failed on " + exchange.getRequestMethod() + " " + exchange.getRequestURI(), e);
        reply = Reply.error(500, "InternalServerError", "the local host failed: " + e, List.of());
      }
      status = reply.status();
      send(exchange, reply);
    } catch (IOException e) {
      LOG.log(Level.FINE, "the client of " + exchange.getRequestURI() + " went away", e);
    } finally {
      exchange.close();
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      int logged = status;
      LOG.fine(() -> exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath() + " " + logged
          + " " + millis + " ms");
    }
  }

  /** Answers 503 to a request that arrived while the listener stops, and asks the client to close the connection. */
  void refuse(HttpExchange exchange) {
    try {
      send(exchange, Reply.error(503, "ServiceUnavailable", "the local host is stopping", List.of())
          .withHeader("Connection", "close"));
    } catch (IOException e) {
      LOG.log(Level.FINE, "the client of " + exchange.getRequestURI() + " went away", e);
    } finally {
      exchange.close();
    }
  }

  private Reply reply(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
    String rawPath = exchange.getRequestURI().getRawPath();
    RouteTable.Resolution<Target> resolution = routes.resolve(method, rawPath);
    if (resolution instanceof RouteTable.MethodNotAllowed<Target> refused) {
      return Reply.error(405, "MethodNotAllowed", method + " is not allowed on " + rawPath
              + " (allowed: " + String.join(", ", refused.allowed()) + ")", List.of())
          .withHeader("Allow", String.join(", ", refused.allowed()));
    }
    if (!(resolution instanceof RouteTable.Found<Target> found)) {
      return Reply.error(404, "NotFound", "no function serves " + method + " " + rawPath, List.of());
    }
    Target target = found.route().target();
    String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
    Object body;
    try {
      byte[] bytes = HttpBodies.read(exchange.getRequestBody(), contentLength(exchange.getRequestHeaders()), maxRequestBytes);
      body = HttpBodies.convert(bytes, target.bodyType(), contentType);
    } catch (RealtimeAiException e) {
      return Reply.error(e);
    }
    Map<String, String> query = UrlCoding.parseQuery(exchange.getRequestURI().getRawQuery());
    LocalHttpRequest<Object> request = new LocalHttpRequest<>(uri(exchange), HttpMethod.valueOf(method),
        headers(exchange.getRequestHeaders()), query, body);
    // @BindingName sees the query parameters and the route values; a route value wins over a query parameter
    Map<String, String> metadata = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    metadata.putAll(query);
    metadata.putAll(found.values());
    Map<String, Object> data = new HashMap<>();
    data.put(target.triggerName(), target.wantsMessage() ? request : body);
    return invoke(target, data, metadata);
  }

  private Reply invoke(Target target, Map<String, Object> data, Map<String, String> metadata) {
    String function = target.invoker().descriptor().name();
    InvocationContext context = new InvocationContext(function);
    long started = System.nanoTime();
    try {
      return reply(target.invoker().invoke(data, metadata, context));
    } catch (RuntimeException e) {
      // As on Azure, whatever a function throws is a 500: it maps its own errors to responses, so that
      // it answers the same here and there. The failure is logged; the listener keeps serving.
      boolean threw = e instanceof FunctionInvoker.FunctionFailure && !(e instanceof FunctionInvoker.BindingFailure)
          && e.getCause() != null;
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      LOG.log(Level.SEVERE, "Executed 'Functions." + function + "' (Failed, Id=" + context.getInvocationId()
          + ", Duration=" + millis + "ms)", threw ? e.getCause() : e);
      // a FunctionFailure says "function X failed: …" itself; a binding or response problem does not
      String message = threw ? e.getMessage() : "function " + function + " failed: " + e.getMessage();
      return Reply.error(500, "InternalServerError", message, List.of("invocation " + context.getInvocationId()));
    }
  }

  /** The reply to what a function returned: a response as built, null as 204, any other value as a 200 body. */
  private static Reply reply(Object result) {
    if (result == null) {
      return new Reply(204, Map.of(), new byte[0]);
    }
    if (!(result instanceof HttpResponseMessage response)) {
      HttpBodies.Encoded encoded = HttpBodies.encode(result);
      return new Reply(200, Map.of("Content-Type", encoded.contentType()), encoded.bytes());
    }
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    if (response instanceof LocalHttpResponse local) {
      headers.putAll(local.headers());
    } else if (response.getHeader("Content-Type") != null) {
      headers.put("Content-Type", response.getHeader("Content-Type"));
    }
    HttpBodies.Encoded encoded = HttpBodies.encode(response.getBody());
    if (encoded.contentType() != null) {
      headers.putIfAbsent("Content-Type", encoded.contentType());
    }
    return new Reply(response.getStatusCode(), headers, encoded.bytes());
  }

  private static void send(HttpExchange exchange, Reply reply) throws IOException {
    Headers headers = exchange.getResponseHeaders();
    reply.headers().forEach((name, value) -> {
      // the server frames the body itself
      if (!name.equalsIgnoreCase("Content-Length") && !name.equalsIgnoreCase("Transfer-Encoding")) {
        headers.set(name, value);
      }
    });
    int status = reply.status();
    boolean noBody = reply.body().length == 0 || status == 204 || status == 304 || status < 200
        || exchange.getRequestMethod().equalsIgnoreCase("HEAD");
    if (noBody) {
      // without a body the server ends the exchange as soon as the headers are out, so drain first
      drain(exchange.getRequestBody());
      // -1: no body (0 would mean a chunked body of unknown length)
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, reply.body().length);
    OutputStream out = exchange.getResponseBody();
    out.write(reply.body());
    out.flush();
    drain(exchange.getRequestBody());
  }

  /**
   * Reads what is left of a request body that was refused unread (413, 404 …) and discards it, up to
   * the body limit: most clients read the answer only once they have sent the whole body, and a
   * connection closed under them reads as a reset instead of as the answer. Past that the server
   * closes the connection.
   */
  private static void drain(InputStream in) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    long left = HttpBodies.MAX_REQUEST_BYTES;
    int n;
    while (left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) >= 0) {
      left -= n;
    }
  }

  private static long contentLength(Headers headers) {
    String value = headers.getFirst("Content-Length");
    if (value == null) {
      return -1;
    }
    try {
      return Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Header names in lower case, as the Java worker hands them to functions; repeated headers joined with commas. */
  private static Map<String, String> headers(Headers headers) {
    Map<String, String> lower = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.forEach((name, values) -> lower.merge(name.toLowerCase(Locale.ROOT), String.join(",", values),
        (a, b) -> a + "," + b));
    return lower;
  }

  /** The full URL the client asked for, from its {@code Host} header. */
  private static URI uri(HttpExchange exchange) {
    URI requested = exchange.getRequestURI();
    String host = Objects.requireNonNullElse(exchange.getRequestHeaders().getFirst("Host"),
        "127.0.0.1:" + exchange.getLocalAddress().getPort());
    String pathAndQuery = requested.getRawPath() + (requested.getRawQuery() == null ? "" : "?" + requested.getRawQuery());
    try {
      return URI.create("http://" + host + pathAndQuery);
    } catch (IllegalArgumentException e) {
      return URI.create("http://127.0.0.1:" + exchange.getLocalAddress().getPort() + pathAndQuery);
    }
  }
}
