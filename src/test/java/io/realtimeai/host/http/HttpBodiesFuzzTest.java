package io.realtimeai.host.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.realtimeai.error.RealtimeAiException;
import io.realtimeai.scoring.ImageRequests;
import java.util.List;
import java.util.Map;

/**
 * Fuzz target: the HTTP body parsers. A scoring body under any {@code Content-Type} (raw image,
 * multipart, JSON with base64 images) and a management body read as JSON either parse or are a
 * named 4xx error ({@link RealtimeAiException}); anything else thrown is a finding.
 */
class HttpBodiesFuzzTest {
  private static final List<String> CONTENT_TYPES = List.of("multipart/form-data; boundary=b",
      "multipart/form-data", "application/json", "application/vnd.score+json", "image/jpeg", "application/octet-stream",
      "text/plain", "");
  private static final ImageRequests REQUESTS = new ImageRequests(8, 1 << 16);

  /** A management request body, as the functions declare them. */
  record CreateService(String name, String modelId, Integer numReplicas, Map<String, String> tags) {}

  @FuzzTest(maxDuration = "10m")
  void parse(FuzzedDataProvider data) {
    String contentType = data.consumeBoolean() ? data.pickValue(CONTENT_TYPES) : data.consumeString(60);
    byte[] body = data.consumeRemainingAsBytes();
    try {
      List<byte[]> images = REQUESTS.read(contentType, body);
      assertThat(images).isNotEmpty().allSatisfy(image -> assertThat(image).isNotEmpty());
    } catch (RealtimeAiException e) {
      assertThat(e.httpStatus()).isBetween(400, 499);
      assertThat(e.getMessage()).isNotBlank();
    }
    try {
      HttpBodies.convert(body, CreateService.class, "application/json");
    } catch (RealtimeAiException e) {
      assertThat(e.httpStatus()).isBetween(400, 499);
      assertThat(e.getMessage()).startsWith("the request body");
    }
  }
}
