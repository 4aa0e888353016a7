package io.realtimeai.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A local stand-in for an Event Grid topic: an HTTPS server with a self-signed certificate that
 * takes {@code POST /api/events} as a topic does, records each request (headers, including
 * {@code aeg-sas-key}, and the events in its body), answers an error status on demand, and can be
 * stopped and started again on the same port to play an outage. HTTPS because the SDK sends a key
 * credential over HTTPS only.
 */
public final class EventGridReceiver implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SSLContext ssl;
  private final TestCertificates.Pem pem;
  private final ConcurrentLinkedQueue<Request> requests = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Integer> nextStatuses = new ConcurrentLinkedQueue<>();
  private volatile int status = 200;
  private volatile Predicate<JsonNode> refused = event -> false;
  private int port;
  private HttpsServer server;
  private ExecutorService executor;

  /**
   * One request as the receiver took it.
   *
   * @param headers the request headers, names in lower case
   * @param body the body as sent
   * @param events the elements of the body's JSON array
   * @param status the status it was answered with
   */
  public record Request(Map<String, String> headers, String body, List<JsonNode> events, int status) {
    /** The header, by name in any case; null when absent. */
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private EventGridReceiver(TestCertificates.Pem pem) throws IOException {
    this.pem = pem;
    this.ssl = sslContext(pem);
  }

  /** Starts a receiver on a free port of 127.0.0.1, its certificate written into {@code dir}. */
  public static EventGridReceiver start(Path dir) throws IOException {
    EventGridReceiver receiver = new EventGridReceiver(TestCertificates.selfSigned(dir));
    receiver.bind(0);
    return receiver;
  }

  /** The topic endpoint to publish to: {@code https://localhost:{port}/api/events}. */
  public String endpoint() {
    return "https://localhost:" + port + "/api/events";
  }

  /** The PEM certificate a publisher must trust to reach it. */
  public Path certificate() {
    return pem.certificate();
  }

  /** The port, the same across {@link #stop()} and {@link #restart()}. */
  public int port() {
    return port;
  }

  /** Stops listening: connections are refused, as from a topic that is down. */
  public synchronized void stop() {
    if (server != null) {
      server.stop(0);
      executor.shutdownNow();
      server = null;
    }
  }

  /** Listens again on the same port. */
  public synchronized void restart() throws IOException {
    if (server == null) {
      bind(port);
    }
  }

  /** Answers every following request with {@code status} (200 for normal service); the events are still recorded. */
  public void answerWith(int newStatus) {
    status = newStatus;
  }

  /**
   * Answers the next request with {@code status} once, after taking its events, as when a topic
   * accepts a batch but its acknowledgement is lost.
   */
  public void answerNextWith(int onceStatus) {
    nextStatuses.add(onceStatus);
  }

  /** Answers 400 to every request that holds an event matching {@code bad}, as a topic refuses a malformed event. */
  public void refuseEventsWhere(Predicate<JsonNode> bad) {
    refused = bad;
  }

  /** Every request taken so far, oldest first. */
  public List<Request> requests() {
    return List.copyOf(requests);
  }

  /** Every event received so far, in every request, whatever it was answered. */
  public List<JsonNode> events() {
    List<JsonNode> events = new ArrayList<>();
    requests.forEach(request -> events.addAll(request.events()));
    return events;
  }

  /** The events of requests answered 2xx: what a topic would have taken and acknowledged. */
  public List<JsonNode> acknowledgedEvents() {
    List<JsonNode> events = new ArrayList<>();
    requests.stream().filter(r -> r.status() / 100 == 2).forEach(request -> events.addAll(request.events()));
    return events;
  }

  /** Forgets the requests taken so far. */
  public void clear() {
    requests.clear();
  }

  /** Waits until the received events satisfy {@code condition}, or fails after {@code timeout}. */
  public List<JsonNode> await(Predicate<List<JsonNode>> condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<JsonNode> events = events();
      if (condition.test(events)) {
        return events;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the receiver did not get the expected events within " + timeout + "; it has " + events);
      }
      Thread.sleep(20);
    }
  }

  @Override
  public void close() {
    stop();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try {
      if (!"POST".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      Map<String, String> headers = new TreeMap<>();
      exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), String.join(",", values)));
      String body;
      try (InputStream in = exchange.getRequestBody()) {
        body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      List<JsonNode> events = new ArrayList<>();
      int answer;
      try {
        JsonNode tree = JSON.readTree(body);
        tree.forEach(events::add);
        if (!tree.isArray() || events.stream().anyMatch(refused)) {
          answer = 400;
        } else {
          Integer once = nextStatuses.poll();
          answer = once != null ? once : status;
        }
      } catch (IOException e) {
        answer = 400;
      }
      requests.add(new Request(Map.copyOf(headers), body, List.copyOf(events), answer));
      byte[] reply = answer / 100 == 2 ? new byte[0]
          : ("{\"error\":{\"code\":\"Receiver" + answer + "\",\"message\":\"the test receiver answers " + answer + "\"}}")
              .getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(answer, reply.length == 0 ? -1 : reply.length);
      if (reply.length > 0) {
        exchange.getResponseBody().write(reply);
      }
    } finally {
      exchange.close();
    }
  }

  private void bind(int wanted) throws IOException {
    InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), wanted);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    HttpsServer bound;
    while (true) {
      try {
        bound = HttpsServer.create(address, 0);
        break;
      } catch (BindException e) {
        // The port of a restart can be held a moment by connections closing: try again, within a deadline.
        if (wanted == 0 || System.nanoTime() > deadline) {
          throw e;
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
    bound.setHttpsConfigurator(new HttpsConfigurator(ssl));
    bound.createContext("/api/events", this::handle);
    executor = Executors.newCachedThreadPool(runnable -> {
      Thread thread = new Thread(runnable, "event-grid-receiver");
      thread.setDaemon(true);
      return thread;
    });
    bound.setExecutor(executor);
    bound.start();
    server = bound;
    port = bound.getAddress().getPort();
  }

  // An in-memory PKCS12 key store holding the PEM key and certificate, as JDK's HttpsServer needs.
  private static SSLContext sslContext(TestCertificates.Pem pem) throws IOException {
    try {
      Certificate certificate;
      try (InputStream in = Files.newInputStream(pem.certificate())) {
        certificate = CertificateFactory.getInstance("X.509").generateCertificate(in);
      }
      String keyText = Files.readString(pem.key()).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
      PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(keyText)));
      char[] password = "receiver".toCharArray();
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("receiver", key, password, new Certificate[] {certificate});
      KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, password);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys.getKeyManagers(), null, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot build the receiver's TLS context", e);
    }
  }
}
