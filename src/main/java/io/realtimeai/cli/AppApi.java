package io.realtimeai.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Predicate;

/** The app's HTTP API, as the demo and the benchmark call it. */
final class AppApi {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String base;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  AppApi(String base) {
    this.base = base;
  }

  /** The app's address, {@code http://host:port}. */
  String baseUrl() {
    return base;
  }

  /** A status, the answer's headers and its JSON body. */
  record Answer(int status, JsonNode body, HttpResponse<byte[]> response) {
    /** The {@code {"error": {"message"}}} of a failed call, or the body. */
    String describe() {
      return body == null ? "HTTP " + status : body.at("/error/message").isMissingNode() ? body.toString()
          : "HTTP " + status + ": " + body.at("/error/message").asText();
    }
  }

  /** True when the app answers its health check. */
  boolean healthy() {
    try {
      return get("/api/health").status() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  Answer get(String path) throws IOException {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
  }

  Answer delete(String path) throws IOException {
    return send(HttpRequest.newBuilder(URI.create(base + path)).DELETE());
  }

  Answer post(String path, Object json) throws IOException {
    return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(json))));
  }

  Answer post(String path, byte[] body, String contentType) throws IOException {
    return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  /** Polls {@code GET path} until {@code done} holds, or fails after {@code timeout} naming {@code what}. */
  JsonNode await(String path, Duration timeout, String what, Predicate<JsonNode> done) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Answer answer = get(path);
      if (answer.status() == 200 && done.test(answer.body())) {
        return answer.body();
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("gave up after " + timeout.toSeconds() + " s waiting for " + what);
  }

  private Answer send(HttpRequest.Builder request) throws IOException {
    try {
      HttpResponse<byte[]> response = http.send(request.timeout(Duration.ofSeconds(120)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      byte[] bytes = response.body();
      JsonNode body = bytes == null || bytes.length == 0 ? null : JSON.readTree(bytes);
      return new Answer(response.statusCode(), body, response);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
