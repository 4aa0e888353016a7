package io.realtimeai.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.PrometheusText;
import io.realtimeai.testing.TcpLink;
import io.realtimeai.testing.TestApp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /api/metrics} on the local host while storage cannot be reached: the app reaches Azurite
 * through {@link TcpLink}s, and a cut link holds a backlog reading in the storage clients' retries.
 */
@Tag("integration")
class AppMetricsOutageTest {
  /** As often as {@link AppMetrics} reads the backlogs again, however often it is scraped. */
  private static final Duration BACKLOG_TTL = Duration.ofSeconds(5);
  private static final String POISON = StorageLayout.SCORING_QUEUE + "-poison";
  private static final String POISON_DEPTH = "realtime_ai_scoring_poison_depth_messages";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();

  @TempDir static Path dir;
  static List<TcpLink> links;
  static TestApp app;

  @BeforeAll
  static void start() throws Exception {
    links = TcpLink.toEach(azurite.azurite().ports());
    app = TestApp.start(azurite, TcpLink.connectionString(links), dir, Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    TcpLink.closeAll(links);
  }

  @Test
  void metrics_whileABacklogReadingIsStuckOnStorage_answersAtOnceWithTheLastReadings() throws Exception {
    azurite.storage().createQueue(POISON);
    azurite.storage().queue(POISON).sendMessage("parked-1");
    azurite.storage().queue(POISON).sendMessage("parked-2");
    TestApp.await("a reading of the two parked jobs", Duration.ofSeconds(30), () -> poisonDepth() == 2 ? true : null);
    // The last reading began before that answer: the next scrape reads again.
    Thread.sleep(BACKLOG_TTL.plusMillis(500).toMillis());

    links.forEach(TcpLink::cut);
    CompletableFuture<HttpResponse<String>> stuck = HTTP.sendAsync(metrics(Duration.ofSeconds(120)),
        HttpResponse.BodyHandlers.ofString());
    try {
      Thread.sleep(1000);
      assertThat(stuck).as("the reading waits on storage").isNotDone();

      HttpResponse<String> during = HTTP.send(metrics(Duration.ofSeconds(3)), HttpResponse.BodyHandlers.ofString());

      assertThat(during.statusCode()).isEqualTo(200);
      assertThat(PrometheusText.parse(during.body()).sum(POISON_DEPTH)).as("the last reading").isEqualTo(2);
      assertThat(stuck).as("still reading").isNotDone();
    } finally {
      links.forEach(TcpLink::mend);
    }
    assertThat(stuck.get(60, TimeUnit.SECONDS).statusCode()).as("the stuck reading ends once storage is back").isEqualTo(200);
  }

  private static Double poisonDepth() {
    try {
      HttpResponse<String> response = HTTP.send(metrics(Duration.ofSeconds(30)), HttpResponse.BodyHandlers.ofString());
      return PrometheusText.parse(response.body()).sum(POISON_DEPTH);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static HttpRequest metrics(Duration timeout) {
    return HttpRequest.newBuilder(URI.create("http://localhost:" + app.host().httpPort() + "/api/metrics"))
        .timeout(timeout).build();
  }
}
