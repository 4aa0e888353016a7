package io.realtimeai.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The bench's blocking client against the JDK's HTTP server on a loopback port. */
@Tag("integration")
class BlockingHttpClientTest {
  private HttpServer server;
  private final Set<Object> connections = ConcurrentHashMap.newKeySet();

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/echo", exchange -> {
      connections.add(exchange.getRemoteAddress());
      byte[] body = exchange.getRequestBody().readAllBytes();
      String query = exchange.getRequestURI().getQuery();
      byte[] answer = (exchange.getRequestHeaders().getFirst("Content-Type") + " " + query + " "
          + new String(body, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
      // 0: a chunked answer, as a server that does not know its length sends
      exchange.sendResponseHeaders(query != null && query.contains("chunked") ? 201 : 200,
          query != null && query.contains("chunked") ? 0 : answer.length);
      exchange.getResponseBody().write(answer);
      exchange.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  @Test
  void post_readsFixedLengthAndChunkedAnswersOnOneKeptAliveConnection() throws Exception {
    try (BlockingHttpClient client = new BlockingHttpClient(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))) {
      BlockingHttpClient.Answer fixed = client.post("/echo?a=1", "image/jpeg", "body".getBytes(StandardCharsets.UTF_8));
      BlockingHttpClient.Answer chunked = client.post("/echo?chunked", "text/plain", "two".getBytes(StandardCharsets.UTF_8));

      assertThat(fixed.status()).isEqualTo(200);
      assertThat(new String(fixed.body(), StandardCharsets.UTF_8)).isEqualTo("image/jpeg a=1 body");
      assertThat(chunked.status()).isEqualTo(201);
      assertThat(new String(chunked.body(), StandardCharsets.UTF_8)).isEqualTo("text/plain chunked two");
      assertThat(connections).as("both calls on one connection").hasSize(1);
    }
  }
}
