package io.realtimeai.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.realtimeai.testing.TestApp;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** Scoring calls as clients make them (raw bytes, multipart, JSON base64), and the setup they need, for the scoring tests. */
final class HttpScoringCalls {
  static final String BOUNDARY = "----realtime-ai-7MA4YWxkTrZu0gW";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final TestApp app;

  HttpScoringCalls(TestApp app) {
    this.app = app;
  }

  /** A status, the headers and the JSON body of an answer. */
  record Answer(int status, HttpHeadersView headers, JsonNode body, String text) {
    /** The error message of an error answer. */
    String message() {
      return body.at("/error/message").asText();
    }
  }

  /** The headers of an answer. */
  record HttpHeadersView(java.net.http.HttpHeaders headers) {
    String get(String name) {
      return headers.firstValue(name).orElse(null);
    }
  }

  /** POSTs {@code body} with {@code contentType} (none when null) to {@code path}. */
  Answer post(String path, String contentType, byte[] body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + app.host().httpPort() + path))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    String text = response.body();
    return new Answer(response.statusCode(), new HttpHeadersView(response.headers()),
        text == null || text.isBlank() ? null : JSON.readTree(text), text);
  }

  /** Scores {@code images} of {@code service} as a multipart form, one file part each. */
  Answer multipart(String service, String query, List<byte[]> images) throws Exception {
    Field[] fields = new Field[images.size() + 1];
    fields[0] = new Field("note", "text/plain", null, "a form field, not an image".getBytes(StandardCharsets.UTF_8));
    for (int i = 0; i < images.size(); i++) {
      fields[i + 1] = new Field("image", "application/octet-stream", "image-" + i, images.get(i));
    }
    return post("/api/services/" + service + "/score" + query, "multipart/form-data; boundary=" + BOUNDARY, form(fields));
  }

  /** Scores {@code images} of {@code service} as JSON {@code {"images": [base64…]}}. */
  Answer json(String service, String query, List<byte[]> images) throws Exception {
    List<String> encoded = images.stream().map(Base64.getEncoder()::encodeToString).toList();
    return post("/api/services/" + service + "/score" + query, "application/json",
        JSON.writeValueAsBytes(Map.of("images", encoded)));
  }

  /** One part of a multipart form. */
  record Field(String name, String type, String filename, byte[] data) {}

  /** A multipart/form-data body with {@link #BOUNDARY}, after a preamble a reader must skip. */
  static byte[] form(Field... fields) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes("preamble to skip\r\n".getBytes(StandardCharsets.US_ASCII));
    for (Field field : fields) {
      StringBuilder head = new StringBuilder("--").append(BOUNDARY).append("\r\n")
          .append("Content-Disposition: form-data; name=\"").append(field.name()).append('"');
      if (field.filename() != null) {
        head.append("; filename=\"").append(field.filename()).append('"');
      }
      head.append("\r\n");
      if (field.type() != null) {
        head.append("Content-Type: ").append(field.type()).append("\r\n");
      }
      head.append("\r\n");
      out.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
      out.writeBytes(field.data());
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  /** Packages {@code folder}, registers it as {@code name} and answers the model id. */
  String register(String name, Path folder, Path work) throws Exception {
    return app.register(name, folder, work);
  }

  /** POSTs a service and answers its operation's path. */
  String create(String name, String modelId, String computeType) throws Exception {
    return app.createService(Map.of("name", name, "modelId", modelId, "computeType", computeType));
  }

  /** Waits for an operation to end and answers its state. */
  String finished(String operation) throws InterruptedException {
    return app.awaitJson(operation, Duration.ofSeconds(90),
        body -> !List.of("NotStarted", "Running").contains(body.get("state").asText())).get("state").asText();
  }

  /** Deletes a service and waits until it is gone. */
  void delete(String service) throws Exception {
    TestApp.Answer accepted = app.delete("/api/services/" + service);
    assertThat(accepted.status()).as(accepted.text()).isEqualTo(202);
    finished("/api/operations/" + accepted.body().get("id").asText());
  }
}
