package io.realtimeai.catalog;

import static io.realtimeai.catalog.CatalogBlobs.model;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.azure.functions.HttpResponseMessage;
import io.realtimeai.app.App;
import io.realtimeai.events.EventOutbox;
import io.realtimeai.events.EventPublisher;
import io.realtimeai.functions.AcceleratedModelFunctions;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.host.InvocationContext;
import io.realtimeai.host.http.HttpRequests;
import io.realtimeai.testing.AzuriteExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The catalog's functions, called as the Java worker calls them, over a real Azurite. */
@Tag("integration")
class AcceleratedModelFunctionsTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  private static final ObjectMapper JSON = new ObjectMapper();

  private final AcceleratedModelFunctions functions = new AcceleratedModelFunctions();
  private CatalogBlobs blobs;

  @BeforeEach
  void app() {
    azurite.storage().ensureLayout();
    App.install(App.of(azurite.storage(), new EventOutbox(azurite.storage()), EventPublisher.disabled()));
    blobs = new CatalogBlobs(azurite.storage());
    blobs.clear();
  }

  @AfterEach
  void forget() {
    App.reset();
  }

  /** What the blob trigger does: the content, the path's placeholders and the host's {@code Properties} metadata. */
  private void trigger(String ref, String version, byte[] content, String etag) throws Exception {
    String properties = JSON.writeValueAsString(Map.of("ETag", etag, "ContentLength", content.length));
    functions.onModel(content, ref, version, properties, new InvocationContext("AcceleratedModelUpload"));
  }

  /** {@code GET /api/accelerated-models}, checked to be a JSON 200. */
  private JsonNode list() throws Exception {
    HttpResponseMessage response =
        functions.list(HttpRequests.get("/api/accelerated-models"), new InvocationContext("AcceleratedModels"));
    assertThat(response.getStatusCode()).isEqualTo(200);
    assertThat(response.getHeader("Content-Type")).startsWith("application/json");
    return JSON.readTree((String) response.getBody());
  }

  @Test
  void list_answersEveryEntryWithItsSignatureOrItsReasons() throws Exception {
    blobs.dropNotes("tiny", "1", "{ 'description': 'tiny featurizer', 'preprocessing': { 'size': [224, 224] } }");
    byte[] featurizer = model(ModelKind.TINY_FEATURIZER, 42);
    trigger("tiny", "1", featurizer, blobs.dropModel("tiny", "1", featurizer));
    byte[] text = "not a model".getBytes(StandardCharsets.UTF_8);
    trigger("broken", "2", text, blobs.dropModel("broken", "2", text));

    JsonNode value = list().get("value");

    assertThat(value).hasSize(2);
    JsonNode broken = value.get(0);
    assertThat(broken.get("ref").asText()).isEqualTo("broken");
    assertThat(broken.get("state").asText()).isEqualTo("Invalid");
    assertThat(broken.get("reasons").get(0).asText()).startsWith("model.onnx: not a loadable ONNX model");
    JsonNode tiny = value.get(1);
    assertThat(fieldNames(tiny)).containsExactly("ref", "version", "state", "inputs", "outputs", "sha256", "size",
        "description", "preprocessing", "reasons", "validatedAt", "etag");
    assertThat(tiny.get("version").asText()).isEqualTo("1");
    assertThat(tiny.get("state").asText()).isEqualTo("Valid");
    assertThat(tiny.at("/inputs/0/name").asText()).isEqualTo("images");
    assertThat(tiny.at("/inputs/0/type").asText()).isEqualTo("float32");
    assertThat(tiny.at("/inputs/0/shape").toString()).isEqualTo("[-1,3,224,224]");
    assertThat(tiny.at("/outputs/0/name").asText()).isEqualTo("features");
    assertThat(tiny.at("/outputs/0/shape").toString()).isEqualTo("[-1,8]");
    assertThat(tiny.get("sha256").asText()).isEqualTo(CatalogBlobs.sha256(featurizer));
    assertThat(tiny.get("size").asLong()).isEqualTo(featurizer.length);
    assertThat(tiny.get("description").asText()).isEqualTo("tiny featurizer");
    assertThat(tiny.at("/preprocessing/size").toString()).isEqualTo("[224,224]");
    assertThat(tiny.get("reasons").isEmpty()).isTrue();
    assertThat(tiny.get("validatedAt").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
  }

  @Test
  void list_ofAnEmptyCatalogIsAnEmptyValue() throws Exception {
    assertThat(list().get("value").isEmpty()).isTrue();
  }

  @Test
  void onModel_withoutAnEtagInThePropertiesChecksTheCurrentVersion() throws Exception {
    byte[] featurizer = model(ModelKind.TINY_FEATURIZER, 42);
    String etag = blobs.dropModel("tiny", "1", featurizer);

    functions.onModel(featurizer, "tiny", "1", "{}", new InvocationContext("AcceleratedModelUpload"));

    assertThat(App.get().catalog().find("tiny", "1").orElseThrow().etag()).isEqualTo(etag);
  }

  @Test
  void get_answersOneEntryAndA404ForAnUnknownOne() throws Exception {
    byte[] featurizer = model(ModelKind.TINY_FEATURIZER, 42);
    trigger("tiny", "1", featurizer, blobs.dropModel("tiny", "1", featurizer));

    HttpResponseMessage found = functions.get(HttpRequests.get("/api/accelerated-models/tiny/1"), "tiny", "1",
        new InvocationContext("AcceleratedModel"));
    HttpResponseMessage missing = functions.get(HttpRequests.get("/api/accelerated-models/tiny/2"), "tiny", "2",
        new InvocationContext("AcceleratedModel"));

    assertThat(found.getStatusCode()).isEqualTo(200);
    assertThat(JSON.readTree((String) found.getBody()).get("state").asText()).isEqualTo("Valid");
    assertThat(missing.getStatusCode()).isEqualTo(404);
    JsonNode error = JSON.readTree((String) missing.getBody()).get("error");
    assertThat(error.get("code").asText()).isEqualTo("NotFound");
    assertThat(error.get("message").asText()).contains("'tiny/2' is not in the catalog");
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
