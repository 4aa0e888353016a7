package io.realtimeai.catalog;

import static io.realtimeai.catalog.CatalogBlobs.model;
import static io.realtimeai.catalog.CatalogBlobs.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import io.realtimeai.catalog.CatalogEntry.State;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.testing.AzuriteExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Checking dropped models and recording them, over a real Azurite and real ONNX Runtime sessions. */
@Tag("integration")
class AcceleratedModelsTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();

  @TempDir Path cacheDir;
  private CatalogBlobs blobs;
  private AcceleratedModels catalog;

  @BeforeAll
  static void layout() {
    azurite.storage().ensureLayout();
  }

  @BeforeEach
  void emptyCatalog() {
    blobs = new CatalogBlobs(azurite.storage());
    blobs.clear();
    catalog = new AcceleratedModels(azurite.storage(), cacheDir);
  }

  @Test
  void onModelBlob_recordsAValidFeaturizerWithItsSignature() throws Exception {
    byte[] featurizer = model(ModelKind.TINY_FEATURIZER, 42);
    String etag = blobs.dropModel("tiny", "1", featurizer);

    CatalogEntry entry = catalog.onModelBlob("tiny", "1", etag).orElseThrow();

    assertThat(entry.state()).isEqualTo(State.VALID);
    assertThat(entry.reasons()).isEmpty();
    assertThat(entry.inputs()).containsExactly(new TensorSpec("images", "float32", List.of(-1L, 3L, 224L, 224L)));
    assertThat(entry.outputs()).containsExactly(new TensorSpec("features", "float32", List.of(-1L, 8L)));
    assertThat(entry.sha256()).isEqualTo(sha256(featurizer));
    assertThat(entry.size()).isEqualTo(featurizer.length);
    assertThat(entry.etag()).isEqualTo(etag);
    assertThat(entry.validatedAt()).isNotNull();
    assertThat(catalog.list()).containsExactly(entry);
    assertThat(catalog.find("tiny", "1")).contains(entry);
  }

  @Test
  void onModelBlob_recordsATextFileAsInvalidWithTheLoadersReason() {
    String etag = blobs.dropModel("notes", "1", "this is not a model".getBytes(StandardCharsets.UTF_8));

    CatalogEntry entry = catalog.onModelBlob("notes", "1", etag).orElseThrow();

    assertThat(entry.state()).isEqualTo(State.INVALID);
    assertThat(entry.reasons()).singleElement().asString().startsWith("model.onnx: not a loadable ONNX model: ")
        .doesNotContain(cacheDir.toString());
    assertThat(entry.inputs()).isEmpty();
    assertThat(entry.size()).isEqualTo(19);
    assertThat(catalog.find("notes", "1")).contains(entry);
  }

  @Test
  void onModelBlob_recordsARefThatCannotBeACatalogNameAsInvalid() {
    String etag = blobs.dropModel("bad ref#?", "1", model(ModelKind.TINY_FEATURIZER, 42));

    CatalogEntry entry = catalog.onModelBlob("bad ref#?", "1", etag).orElseThrow();

    assertThat(entry.state()).isEqualTo(State.INVALID);
    assertThat(entry.reasons()).singleElement().asString()
        .startsWith("model_ref 'bad ref#?' is not a valid catalog name");
    assertThat(entry.inputs()).isNotEmpty();
    assertThat(catalog.find("bad ref#?", "1")).contains(entry);
    assertThat(catalog.list()).extracting(CatalogEntry::ref).containsExactly("bad ref#?");
  }

  @Test
  void onModelBlob_sameVersionAgainLeavesTheOneRowUnchanged() {
    String etag = blobs.dropModel("tiny", "1", model(ModelKind.TINY_FEATURIZER, 42));
    CatalogEntry first = catalog.onModelBlob("tiny", "1", etag).orElseThrow();

    CatalogEntry again = catalog.onModelBlob("tiny", "1", etag).orElseThrow();

    assertThat(again).isEqualTo(first);
    assertThat(blobs.rows()).isEqualTo(1);
    assertThat(catalog.find("tiny", "1")).contains(first);
  }

  @Test
  void onModelBlob_overwrittenModelReplacesTheRow() {
    String oldEtag = blobs.dropModel("tiny", "1", model(ModelKind.TINY_FEATURIZER, 42));
    CatalogEntry old = catalog.onModelBlob("tiny", "1", oldEtag).orElseThrow();
    byte[] vector = model(ModelKind.TINY_VECTOR, 7);
    String newEtag = blobs.dropModel("tiny", "1", vector);

    CatalogEntry replaced = catalog.onModelBlob("tiny", "1", newEtag).orElseThrow();

    assertThat(newEtag).isNotEqualTo(oldEtag);
    assertThat(replaced.etag()).isEqualTo(newEtag);
    assertThat(replaced.sha256()).isNotEqualTo(old.sha256());
    assertThat(replaced.inputs()).containsExactly(new TensorSpec("x", "float32", List.of(-1L, 4L)));
    assertThat(catalog.list()).containsExactly(replaced);
  }

  @Test
  void onModelBlob_lateCheckOfAnOverwrittenVersionKeepsTheNewerRow() {
    String oldEtag = blobs.dropModel("tiny", "1", model(ModelKind.TINY_FEATURIZER, 42));
    String newEtag = blobs.dropModel("tiny", "1", model(ModelKind.TINY_VECTOR, 7));
    CatalogEntry newer = catalog.onModelBlob("tiny", "1", newEtag).orElseThrow();

    CatalogEntry late = catalog.onModelBlob("tiny", "1", oldEtag).orElseThrow();

    assertThat(late).isEqualTo(newer);
    assertThat(catalog.list()).containsExactly(newer);
  }

  @Test
  void onModelBlob_ofAVersionDeletedBeforeItsCheckRemovesTheEarlierRow() {
    catalog.onModelBlob("tiny", "1", blobs.dropModel("tiny", "1", model(ModelKind.TINY_FEATURIZER, 42)));
    String etag = blobs.dropModel("tiny", "1", model(ModelKind.TINY_VECTOR, 7));
    blobs.delete("tiny", "1", AcceleratedModels.MODEL_FILE);

    assertThat(catalog.onModelBlob("tiny", "1", etag)).isEmpty();

    assertThat(catalog.list()).isEmpty();
  }

  @Test
  void onModelBlob_withoutAnEtagChecksTheCurrentVersion() {
    String etag = blobs.dropModel("tiny", "1", model(ModelKind.TINY_FEATURIZER, 42));

    CatalogEntry entry = catalog.onModelBlob("tiny", "1", null).orElseThrow();

    assertThat(entry.etag()).isEqualTo(etag);
    assertThat(entry.valid()).isTrue();
  }

  @Test
  void onModelBlob_withoutAnEtagOfADeletedModelRemovesItsRow() {
    String etag = blobs.dropModel("tiny", "1", model(ModelKind.TINY_FEATURIZER, 42));
    catalog.onModelBlob("tiny", "1", etag);
    blobs.delete("tiny", "1", AcceleratedModels.MODEL_FILE);

    assertThat(catalog.onModelBlob("tiny", "1", null)).isEmpty();

    assertThat(catalog.find("tiny", "1")).isEmpty();
    assertThat(catalog.list()).isEmpty();
  }

  @Test
  void onModelBlob_showsTheDescriptionAndPreprocessingOfModelJson() {
    blobs.dropNotes("tiny", "1", "{ 'description': 'a tiny featurizer', 'input_tensor': 'images:0',"
        + " 'preprocessing': { 'size': [224, 224], 'mean': [0.485, 0.456, 0.406] } }");
    String etag = blobs.dropModel("tiny", "1", model(ModelKind.TINY_FEATURIZER, 42));

    CatalogEntry entry = catalog.onModelBlob("tiny", "1", etag).orElseThrow();

    assertThat(entry.valid()).isTrue();
    assertThat(entry.description()).isEqualTo("a tiny featurizer");
    assertThat(entry.preprocessing().at("/mean/2").asDouble()).isEqualTo(0.406);
    assertThat(catalog.find("tiny", "1")).contains(entry);
  }

  @Test
  void onModelBlob_refusesMalformedModelJsonWithItsLineAndColumn() {
    blobs.dropNotes("tiny", "1", "{ 'description': 'unterminated }");
    String etag = blobs.dropModel("tiny", "1", model(ModelKind.TINY_FEATURIZER, 42));

    CatalogEntry entry = catalog.onModelBlob("tiny", "1", etag).orElseThrow();

    assertThat(entry.state()).isEqualTo(State.INVALID);
    assertThat(entry.reasons()).singleElement().asString().startsWith("model.json: invalid JSON at line 1, column");
  }

  @Test
  void onModelBlob_refusesModelJsonNamingAnOutputTheModelLacks() {
    blobs.dropNotes("tiny", "1", "{ 'output_tensor': 'logits' }");
    String etag = blobs.dropModel("tiny", "1", model(ModelKind.TINY_FEATURIZER, 42));

    CatalogEntry entry = catalog.onModelBlob("tiny", "1", etag).orElseThrow();

    assertThat(entry.reasons()).containsExactly(
        "model.json: output_tensor 'logits' is not an output of the model ['features']");
  }

  @Test
  void onModelJsonBlob_droppedAfterTheModelChecksItAgain() {
    String etag = blobs.dropModel("tiny", "1", model(ModelKind.TINY_FEATURIZER, 42));
    CatalogEntry before = catalog.onModelBlob("tiny", "1", etag).orElseThrow();
    blobs.dropNotes("tiny", "1", "{ 'description': 'described later' }");

    CatalogEntry after = catalog.onModelJsonBlob("tiny", "1").orElseThrow();

    assertThat(before.description()).isNull();
    assertThat(after.description()).isEqualTo("described later");
    assertThat(after.etag()).isEqualTo(etag);
    assertThat(catalog.list()).containsExactly(after);
  }

  @Test
  void onModelJsonBlob_beforeTheModelArrivesRecordsNothing() {
    blobs.dropNotes("tiny", "1", "{ 'description': 'early' }");

    assertThat(catalog.onModelJsonBlob("tiny", "1")).isEmpty();
    assertThat(catalog.list()).isEmpty();
  }

  @Test
  void list_sortsByRefThenVersionNumbersByValue() {
    for (String[] entry : new String[][] {{"b", "1"}, {"a", "10"}, {"a", "2"}}) {
      catalog.onModelBlob(entry[0], entry[1], blobs.dropModel(entry[0], entry[1], model(ModelKind.TINY_VECTOR, 1)));
    }

    assertThat(catalog.list()).extracting(CatalogEntry::refVersion).containsExactly("a/2", "a/10", "b/1");
  }
}
