package io.realtimeai.host.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.realtimeai.host.FunctionInvoker;
import io.realtimeai.host.Functions;
import io.realtimeai.host.HostConfig;
import io.realtimeai.host.http.testfunctions.BodyFunctions;
import io.realtimeai.host.http.testfunctions.LifecycleFunctions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A real {@link HttpListener} on a loopback port, serving the test app, called with the JDK's HTTP client. */
@Tag("integration")
class HttpListenerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long LIMIT = 100L * 1024 * 1024;

  private static final Logger LISTENER_LOG = Logger.getLogger(HttpListener.class.getName());

  static HttpListener listener;
  static HttpClient client;
  static boolean listenerLogToParents;

  @BeforeAll
  static void start() throws Exception {
    // the failures these tests cause are asserted from the log, not printed; this is switched for the
    // whole class, since a record still being logged on a worker thread reads the switch after our handler
    listenerLogToParents = LISTENER_LOG.getUseParentHandlers();
    LISTENER_LOG.setUseParentHandlers(false);
    listener = new HttpListener(HostConfig.defaults(), 0, HttpTestApp.functions());
    listener.start();
    // HTTP/1.1: the JDK's server does not speak HTTP/2, and the upgrade attempt would show up in the headers
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() throws Exception {
    listener.stop(Duration.ofSeconds(5));
    LISTENER_LOG.setUseParentHandlers(listenerLogToParents);
  }

  private static URI uri(String pathAndQuery) {
    return uri(listener, pathAndQuery);
  }

  private static URI uri(HttpListener on, String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + on.port() + pathAndQuery);
  }

  private static HttpResponse<String> get(String pathAndQuery) throws Exception {
    return client.send(HttpRequest.newBuilder(uri(pathAndQuery)).build(), BodyHandlers.ofString());
  }

  private static HttpResponse<String> send(String method, String path, HttpRequest.BodyPublisher body, String... headers)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).method(method, body);
    if (headers.length > 0) {
      request.headers(headers);
    }
    return client.send(request.build(), BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    return JSON.readTree(response.body());
  }

  /** Asserts the error body every refusal carries, and returns it. */
  private static JsonNode error(HttpResponse<String> response, int status, String code) throws IOException {
    assertThat(response.statusCode()).isEqualTo(status);
    JsonNode error = json(response).path("error");
    assertThat(error.path("code").asText()).isEqualTo(code);
    assertThat(error.path("message").asText()).isNotBlank();
    assertThat(error.path("details").isArray()).isTrue();
    return error;
  }

  @Test
  void route_servesFunctionsUnderTheRoutePrefix() throws Exception {
    HttpResponse<String> item = get("/api/items/7");
    assertThat(item.statusCode()).isEqualTo(200);
    assertThat(json(item).path("function").asText()).isEqualTo("GetItem");
    assertThat(json(item).path("id").asText()).isEqualTo("7");

    error(get("/items/7"), 404, "NotFound");
  }

  @Test
  void route_servesAtTheRootWithAnEmptyRoutePrefix() throws Exception {
    HttpListener root = new HttpListener(HttpTestApp.withRoutePrefix(""), 0, HttpTestApp.functions());
    root.start();
    try {
      HttpResponse<String> item = client.send(HttpRequest.newBuilder(uri(root, "/items/7")).build(), BodyHandlers.ofString());
      assertThat(item.statusCode()).isEqualTo(200);
      assertThat(json(item).path("id").asText()).isEqualTo("7");
      HttpResponse<String> prefixed = client.send(HttpRequest.newBuilder(uri(root, "/api/items/7")).build(), BodyHandlers.ofString());
      error(prefixed, 404, "NotFound");
    } finally {
      root.stop(Duration.ofSeconds(5));
    }
  }

  @Test
  void listener_refusesARouteWhoseRegexDoesNotCompileNamingFunctionRouteAndReason() throws Exception {
    FunctionInvoker getItem = HttpTestApp.functions().stream()
        .filter(f -> f.descriptor().name().equals("GetItem")).findFirst().orElseThrow();
    FunctionInvoker badRoute = Functions.withTrigger(getItem, "route", "items/{id:regex(*[a-z]+$)}");

    assertThatThrownBy(() -> new HttpListener(HostConfig.defaults(), 0, List.of(badRoute)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("function GetItem: route 'items/{id:regex(*[a-z]+$)}': route constraint 'regex(*[a-z]+$)': "
            + "Dangling meta character '*'");
  }

  @Test
  void route_servesAFunctionWithoutRouteAtItsNameForEveryMethod() throws Exception {
    assertThat(json(get("/api/inspect")).path("method").asText()).isEqualTo("GET");
    assertThat(json(send("PATCH", "/API/Inspect", BodyPublishers.noBody())).path("method").asText()).isEqualTo("PATCH");
  }

  @Test
  void route_prefersTheLiteralRouteOverTheParameter() throws Exception {
    assertThat(json(get("/api/items/special")).path("function").asText()).isEqualTo("GetSpecialItem");
    assertThat(json(get("/api/items/specials")).path("function").asText()).isEqualTo("GetItem");
  }

  @Test
  void route_optionalIntIsPresentAbsentOrNotFound() throws Exception {
    assertThat(get("/api/pages/42").body()).isEqualTo("page 42");
    assertThat(get("/api/pages").body()).isEqualTo("page none");
    error(get("/api/pages/forty-two"), 404, "NotFound");
  }

  @Test
  void route_longParameterBindsToALong() throws Exception {
    assertThat(get("/api/orders/9000000000").body()).isEqualTo("order 9000000000");
    error(get("/api/orders/nine"), 404, "NotFound");
  }

  @Test
  void route_catchAllTakesSlashesAndDecodedSegments() throws Exception {
    assertThat(get("/api/files/a/b/c.txt").body()).isEqualTo("path=a/b/c.txt");
    assertThat(get("/api/files/dir%2Fsub/my%20file+1.txt").body()).isEqualTo("path=dir/sub/my file+1.txt");
    assertThat(get("/api/files").body()).isEqualTo("path=null");
  }

  @Test
  void bindingName_takesRouteValuesOverQueryParameters() throws Exception {
    JsonNode item = json(get("/api/items/caf%C3%A9?q=hello%20world&id=from-query"));
    assertThat(item.path("id").asText()).isEqualTo("café");
    assertThat(item.path("q").asText()).isEqualTo("hello world");
  }

  @Test
  void methods_chooseTheFunctionAndAnswer405WithAllow() throws Exception {
    // DeleteItem's authLevel is FUNCTION, and no key is needed: like Core Tools, the local host does not enforce it
    HttpResponse<String> deleted = send("DELETE", "/api/items/7", BodyPublishers.noBody());
    assertThat(deleted.statusCode()).isEqualTo(204);
    assertThat(deleted.body()).isEmpty();

    HttpResponse<String> put = send("PUT", "/api/items/7", BodyPublishers.ofString("x"));
    error(put, 405, "MethodNotAllowed");
    assertThat(put.headers().firstValue("Allow")).hasValue("DELETE, GET");
  }

  @Test
  void request_carriesUrlLowerCaseHeadersAndDecodedQuery() throws Exception {
    HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri("/api/Inspect?a=1&a=2&b=x+y%21"))
        .header("X-Custom-Thing", "v1").header("X-Custom-Thing", "v2").build(), BodyHandlers.ofString());
    JsonNode seen = json(response);
    assertThat(seen.path("uri").asText()).isEqualTo("http://127.0.0.1:" + listener.port() + "/api/Inspect?a=1&a=2&b=x+y%21");
    List<String> names = new ArrayList<>();
    seen.path("headers").fieldNames().forEachRemaining(names::add);
    assertThat(names).contains("x-custom-thing", "host").allSatisfy(n -> assertThat(n).isLowerCase());
    assertThat(seen.path("headers").path("x-custom-thing").asText()).isEqualTo("v1,v2");
    assertThat(seen.path("query").path("a").asText()).isEqualTo("1,2");
    assertThat(seen.path("query").path("b").asText()).isEqualTo("x y!");
  }

  @Test
  void body_stringArrivesDecodedAndGoesBackAsText() throws Exception {
    HttpResponse<String> echoed = send("POST", "/api/echo/text", BodyPublishers.ofString("héllo wörld", StandardCharsets.UTF_8),
        "Content-Type", "text/plain; charset=utf-8");
    assertThat(echoed.statusCode()).isEqualTo(200);
    assertThat(echoed.body()).isEqualTo("héllo wörld");
    assertThat(echoed.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");

    assertThat(send("POST", "/api/echo/text", BodyPublishers.noBody()).body()).isEqualTo("(no body)");
  }

  @Test
  void body_bytesArriveAndGoBackUntouched() throws Exception {
    byte[] every = new byte[256];
    for (int i = 0; i < every.length; i++) {
      every[i] = (byte) i;
    }
    HttpResponse<byte[]> echoed = client.send(HttpRequest.newBuilder(uri("/api/echo/bytes"))
        .PUT(BodyPublishers.ofByteArray(every)).build(), BodyHandlers.ofByteArray());
    assertThat(echoed.statusCode()).isEqualTo(200);
    assertThat(echoed.body()).isEqualTo(every);
    assertThat(echoed.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
  }

  @Test
  void body_jsonBindsToARecordAndTheResponseIsJson() throws Exception {
    HttpResponse<String> created = send("POST", "/api/orders",
        BodyPublishers.ofString("{\"sku\":\"A-1\",\"quantity\":3,\"note\":\"ignored\"}"), "Content-Type", "application/json");
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(created.headers().firstValue("Location")).hasValue("/api/orders/1");
    assertThat(JSON.readTree(created.body())).isEqualTo(JSON.readTree("{\"sku\":\"A-1\",\"quantity\":3,\"status\":\"accepted\"}"));
    assertThat(created.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
  }

  @Test
  void body_malformedJsonIs400WithoutInvoking() throws Exception {
    int before = BodyFunctions.ORDERS_CREATED.get();
    HttpResponse<String> refused = send("POST", "/api/orders", BodyPublishers.ofString("{\"sku\": \"A-1\", quantity"),
        "Content-Type", "application/json");
    JsonNode error = error(refused, 400, "BadRequest");
    assertThat(error.path("message").asText()).contains("not valid JSON for OrderRequest").contains("line 1");
    assertThat(BodyFunctions.ORDERS_CREATED.get()).isEqualTo(before);
  }

  @Test
  void body_upToTheLimitIsAccepted() throws Exception {
    HttpResponse<String> uploaded = send("POST", "/api/upload", BodyPublishers.ofByteArray(new byte[1024 * 1024]));
    assertThat(uploaded.statusCode()).isEqualTo(200);
    assertThat(uploaded.body()).isEqualTo("{\"bytes\":1048576}");
  }

  @Test
  void body_overTheLimitWithContentLengthIs413AndTheServerGoesOn() throws Exception {
    HttpRequest.BodyPublisher streamed = BodyPublishers.fromPublisher(
        BodyPublishers.ofInputStream(() -> HttpTestApp.generated(LIMIT + 1)), LIMIT + 1);
    error(send("POST", "/api/upload", streamed), 413, "PayloadTooLarge");

    assertThat(get("/api/version").statusCode()).isEqualTo(200);
  }

  @Test
  void body_overTheLimitChunkedIs413AndTheServerGoesOn() throws Exception {
    // no length: the client sends it chunked, and the listener counts as it reads
    HttpRequest.BodyPublisher chunked = BodyPublishers.ofInputStream(() -> HttpTestApp.generated(LIMIT + 1));
    error(send("POST", "/api/upload", chunked), 413, "PayloadTooLarge");

    assertThat(get("/api/version").statusCode()).isEqualTo(200);
  }

  @Test
  void function_thatThrowsIs500WithItsInvocationIdAndTheServerGoesOn() throws Exception {
    try (LogCapture log = LogCapture.of(r -> r.getLevel() == Level.SEVERE)) {
      JsonNode error = error(get("/api/fail"), 500, "InternalServerError");
      assertThat(error.path("message").asText()).isEqualTo("function Fail failed: boom");
      String detail = error.path("details").path(0).asText();
      assertThat(detail).matches("invocation [0-9a-f-]{36}");
      String invocationId = detail.substring("invocation ".length());

      LogRecord logged = log.await();
      assertThat(logged.getMessage()).contains("Functions.Fail").contains(invocationId);
      assertThat(logged.getThrown()).isInstanceOf(IllegalStateException.class).hasMessage("boom");
    }
    assertThat(get("/api/version").statusCode()).isEqualTo(200);
  }

  @Test
  void function_returningAValueIs200WithItAsJson() throws Exception {
    HttpResponse<String> version = get("/api/version");
    assertThat(version.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(version.body())).isEqualTo(JSON.readTree("{\"name\":\"realtime-ai\",\"major\":1}"));
  }

  @Test
  void route_unknownIsJson404() throws Exception {
    JsonNode error = error(get("/api/no/such/thing"), 404, "NotFound");
    assertThat(error.path("message").asText()).contains("/api/no/such/thing");
  }

  @Test
  void request_isLoggedOnceAtFine() throws Exception {
    Level level = LISTENER_LOG.getLevel();
    LISTENER_LOG.setLevel(Level.FINE);
    try (LogCapture log = LogCapture.of(r -> r.getLevel() == Level.FINE && r.getMessage().startsWith("GET /api/pages/5 "))) {
      get("/api/pages/5");
      assertThat(log.await().getMessage()).matches("GET /api/pages/5 200 \\d+ ms");
    } finally {
      LISTENER_LOG.setLevel(level);
    }
  }

  @Test
  void endpoints_listEveryFunctionWithItsMethodsAndPath() {
    assertThat(listener.endpoints())
        .contains(new HttpEndpoint("GetItem", List.of("GET"), "/api/items/{id}"))
        .contains(new HttpEndpoint("EchoBytes", List.of("POST", "PUT"), "/api/echo/bytes"))
        .contains(new HttpEndpoint("Inspect", List.of(), "/api/Inspect"));
  }

  @Test
  void stop_letsTheRequestInFlightFinishAndRefusesNewConnections() throws Exception {
    LifecycleFunctions.slowStarted = new CountDownLatch(1);
    LifecycleFunctions.slowRelease = new CountDownLatch(1);
    HttpListener stopping = new HttpListener(HostConfig.defaults(), 0, HttpTestApp.functions());
    stopping.start();
    int port = stopping.port();

    try (Socket keptAlive = new Socket(InetAddress.getLoopbackAddress(), port)) {
      assertThat(RawHttp.get(keptAlive, "/api/version")).startsWith("HTTP/1.1 200");
      CompletableFuture<HttpResponse<String>> slow = client.sendAsync(
          HttpRequest.newBuilder(uri(stopping, "/api/slow")).build(), BodyHandlers.ofString());
      assertThat(LifecycleFunctions.slowStarted.await(10, TimeUnit.SECONDS)).isTrue();

      CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
        try {
          stopping.stop(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      awaitRefused(port);
      // a connection opened before the stop is still read, but a new request on it is turned away
      assertThat(RawHttp.get(keptAlive, "/api/version")).startsWith("HTTP/1.1 503").contains("ServiceUnavailable");
      assertThat(slow).isNotDone();
      assertThat(stopped).isNotDone();

      LifecycleFunctions.slowRelease.countDown();
      HttpResponse<String> finished = slow.get(10, TimeUnit.SECONDS);
      assertThat(finished.statusCode()).isEqualTo(200);
      assertThat(finished.body()).isEqualTo("done");
      // the stop ends with the last request, not with its 30 s of grace
      stopped.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void stop_closesWhatIsStillRunningWhenTheGraceIsOver() throws Exception {
    LifecycleFunctions.slowStarted = new CountDownLatch(1);
    LifecycleFunctions.slowRelease = new CountDownLatch(1);
    HttpListener stopping = new HttpListener(HostConfig.defaults(), 0, HttpTestApp.functions());
    stopping.start();
    CompletableFuture<HttpResponse<String>> slow = client.sendAsync(
        HttpRequest.newBuilder(uri(stopping, "/api/slow")).build(), BodyHandlers.ofString());
    assertThat(LifecycleFunctions.slowStarted.await(10, TimeUnit.SECONDS)).isTrue();

    try (LogCapture log = LogCapture.of(r -> r.getLevel() == Level.SEVERE && r.getMessage().contains("Functions.Slow"))) {
      stopping.stop(Duration.ofMillis(100));
      // the stuck function was interrupted
      assertThat(log.await().getThrown()).isInstanceOf(InterruptedException.class);
    }

    assertThatThrownBy(() -> slow.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(IOException.class);
  }

  /** Connects until the port refuses (a reset counts: a connection the server never accepted before closing). */
  private static void awaitRefused(int port) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      try {
        new Socket(InetAddress.getLoopbackAddress(), port).close();
      } catch (IOException refused) {
        return;
      }
    }
    throw new AssertionError("port " + port + " still accepts connections");
  }

  /** Collects the listener's log records that match. */
  private static final class LogCapture extends Handler implements AutoCloseable {
    private final Predicate<LogRecord> wanted;
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final CountDownLatch first = new CountDownLatch(1);

    private LogCapture(Predicate<LogRecord> wanted) {
      this.wanted = wanted;
      LISTENER_LOG.addHandler(this);
    }

    static LogCapture of(Predicate<LogRecord> wanted) {
      return new LogCapture(wanted);
    }

    LogRecord await() throws InterruptedException {
      assertThat(first.await(10, TimeUnit.SECONDS)).as("a matching log record").isTrue();
      return records.get(0);
    }

    @Override
    public void publish(LogRecord record) {
      if (wanted.test(record)) {
        records.add(record);
        first.countDown();
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
      LISTENER_LOG.removeHandler(this);
    }
  }
}
