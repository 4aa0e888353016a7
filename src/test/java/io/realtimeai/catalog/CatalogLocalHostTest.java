package io.realtimeai.catalog;

import static io.realtimeai.catalog.CatalogBlobs.model;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.TestApp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
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

  @TempDir Path dir;

  @Test
  void droppedModels_areCheckedAndListedOverHttp() throws Exception {
    try (TestApp app = TestApp.start(azurite, dir, Map.of())) {
      CatalogBlobs blobs = new CatalogBlobs(azurite.storage());
      String etag = blobs.dropModel("tiny", "1", model(ModelKind.TINY_FEATURIZER, 42));
      blobs.dropModel("broken", "1", "not a model".getBytes(StandardCharsets.UTF_8));
      // Described after the model arrived: the model.json trigger checks the entry again.
      blobs.dropNotes("tiny", "1", "{ 'description': 'tiny featurizer' }");

      JsonNode value = app.awaitJson("/api/accelerated-models", Duration.ofSeconds(30), body -> body.get("value").size() == 2
          && "tiny featurizer".equals(body.get("value").get(1).path("description").asText(null))).get("value");

      assertThat(value.get(0).get("ref").asText()).isEqualTo("broken");
      assertThat(value.get(0).get("state").asText()).isEqualTo("Invalid");
      JsonNode tiny = value.get(1);
      assertThat(tiny.get("state").asText()).isEqualTo("Valid");
      assertThat(tiny.get("etag").asText()).isEqualTo(etag);
      assertThat(tiny.at("/outputs/0/shape").toString()).isEqualTo("[-1,8]");
      TestApp.Answer one = app.get("/api/accelerated-models/tiny/1");
      assertThat(one.status()).isEqualTo(200);
      assertThat(one.body()).isEqualTo(tiny);
      assertThat(app.get("/api/accelerated-models/tiny/9").status()).isEqualTo(404);
    }
  }
}
