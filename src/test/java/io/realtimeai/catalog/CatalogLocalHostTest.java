package io.realtimeai.catalog;

import static io.realtimeai.catalog.CatalogBlobs.model;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.realtimeai.app.App;
import io.realtimeai.app.AppSettings;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.host.LocalHost;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.TestApp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalog end to end on the local host and the app the build generated: files dropped into
 * {@code accelerated-models} show up in {@code GET /api/accelerated-models}.
 */
@Tag("integration")
class CatalogLocalHostTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private LocalHost host;

  @AfterEach
  void stop() throws Exception {
    if (host != null) {
      host.stop(Duration.ofSeconds(5));
    }
    App.reset();
    AppSettings.clearLocal();
  }

  /** A copy of the generated app's host.json and function.json files, its settings pointed at this test's Azurite. */
  private Path app() throws Exception {
    return TestApp.copy(dir.resolve("app"), azurite.connectionString(), Map.of());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + host.httpPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Polls {@code GET /api/accelerated-models} until its entries satisfy {@code done}. */
  private JsonNode awaitCatalog(Predicate<JsonNode> done) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    JsonNode value = null;
    while (Instant.now().isBefore(deadline)) {
      value = JSON.readTree(get("/api/accelerated-models").body()).get("value");
      if (done.test(value)) {
        return value;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the catalog never became as expected; last: " + value);
  }

  @Test
  void droppedModels_areCheckedAndListedOverHttp() throws Exception {
    host = LocalHost.start(app(), LocalHost.Options.defaults().withHttpPort(0)
        .withBlobPollInterval(Duration.ofMillis(200)));
    CatalogBlobs blobs = new CatalogBlobs(azurite.storage());
    String etag = blobs.dropModel("tiny", "1", model(ModelKind.TINY_FEATURIZER, 42));
    blobs.dropModel("broken", "1", "not a model".getBytes(StandardCharsets.UTF_8));
    // Described after the model arrived: the model.json trigger checks the entry again.
    blobs.dropNotes("tiny", "1", "{ 'description': 'tiny featurizer' }");

    JsonNode value = awaitCatalog(entries -> entries.size() == 2
        && "tiny featurizer".equals(entries.get(1).path("description").asText(null)));

    assertThat(value.get(0).get("ref").asText()).isEqualTo("broken");
    assertThat(value.get(0).get("state").asText()).isEqualTo("Invalid");
    JsonNode tiny = value.get(1);
    assertThat(tiny.get("state").asText()).isEqualTo("Valid");
    assertThat(tiny.get("etag").asText()).isEqualTo(etag);
    assertThat(tiny.at("/outputs/0/shape").toString()).isEqualTo("[-1,8]");
    HttpResponse<String> one = get("/api/accelerated-models/tiny/1");
    assertThat(one.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(one.body())).isEqualTo(tiny);
    assertThat(get("/api/accelerated-models/tiny/9").statusCode()).isEqualTo(404);
  }
}
