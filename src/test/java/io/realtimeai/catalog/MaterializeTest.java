package io.realtimeai.catalog;

import static io.realtimeai.catalog.CatalogBlobs.model;
import static io.realtimeai.catalog.CatalogBlobs.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import io.realtimeai.generate.ModelKind;
import io.realtimeai.packaging.ModelPackage;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.pipeline.Pipeline;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.ModelFolders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The catalog's local copy, and packages validated against it, over a real Azurite and ONNX Runtime. */
@Tag("integration")
class MaterializeTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  private static final String IMAGE = ModelFolders.IMAGE_STAGE.replace('"', '\'');

  @TempDir Path dir;
  private Path cacheDir;
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
    cacheDir = dir.resolve("cache");
    catalog = new AcceleratedModels(azurite.storage(), cacheDir);
  }

  private CatalogEntry drop(String ref, String version, byte[] content) {
    return catalog.onModelBlob(ref, version, blobs.dropModel(ref, version, content)).orElseThrow();
  }

  /** A package folder: the image stage, the catalog featurizer {@code ref/1}, and the tiny head. */
  private Path packageUsing(String ref) throws Exception {
    Path folder = dir.resolve("package-" + ref);
    ModelFolders.model(folder, ModelKind.TINY_HEAD, "head.onnx");
    ModelFolders.definition(folder, "{ 'pipeline': [" + IMAGE + ", { 'type': 'brainwave', 'model_ref': '" + ref
        + "', 'model_version': '1', 'output_tensor_dims': [1, 8] }, { 'type': 'onnx', 'model_path': 'head.onnx' } ] }");
    return folder;
  }

  private static Pipeline.Validation validate(Path folder, AcceleratedCatalog catalog) throws Exception {
    ModelPackage modelPackage = ModelPackage.openDirectory(folder);
    return Pipeline.validate(modelPackage.root(), modelPackage.definition(), catalog);
  }

  @Test
  void materialize_copiesOnlyTheValidEntriesAsked() throws Exception {
    byte[] featurizer = model(ModelKind.TINY_FEATURIZER, 42);
    drop("tiny", "1", featurizer);
    drop("other", "1", model(ModelKind.TINY_FEATURIZER, 43));
    drop("broken", "1", "not a model".getBytes(StandardCharsets.UTF_8));

    AcceleratedCatalog local = catalog.materialize(List.of("tiny/1", "broken/1", "absent/1"));

    assertThat(local.root()).isEqualTo(cacheDir);
    assertThat(local.entries()).containsExactly("tiny/1");
    assertThat(Files.readAllBytes(local.find("tiny", "1").orElseThrow())).isEqualTo(featurizer);
  }

  @Test
  void materialize_letsAPackageWithABrainwaveStageValidate() throws Exception {
    drop("tiny", "1", model(ModelKind.TINY_FEATURIZER, 42));
    Path folder = packageUsing("tiny");

    Pipeline.Validation validation = validate(folder, catalog.materialize(List.of("tiny/1")));

    assertThat(validation.problems()).isEmpty();
    assertThat(validation.warnings()).isEmpty();
  }

  @Test
  void materialize_leavesAMissingRefForValidateToRefuse() throws Exception {
    drop("tiny", "1", model(ModelKind.TINY_FEATURIZER, 42));
    Path folder = packageUsing("resnet50");

    Pipeline.Validation validation = validate(folder, catalog.materialize(List.of("resnet50/1")));

    assertThat(validation.problems()).singleElement().asString()
        .contains("pipeline[1].model_ref: 'resnet50/1' is not in the accelerated model catalog");
  }

  @Test
  void materialize_leavesAnInvalidEntryForValidateToRefuse() throws Exception {
    drop("broken", "1", "not a model".getBytes(StandardCharsets.UTF_8));

    Pipeline.Validation validation = validate(packageUsing("broken"), catalog.materialize(List.of("broken/1")));

    assertThat(validation.problems()).singleElement().asString().contains("is not in the accelerated model catalog");
  }

  @Test
  void materialize_downloadsAVersionOnce() throws Exception {
    drop("tiny", "1", model(ModelKind.TINY_FEATURIZER, 42));
    Path cached = catalog.materialize(List.of("tiny/1")).find("tiny", "1").orElseThrow();
    Object firstFile = Files.readAttributes(cached, "unix:ino");
    // The blob is deleted behind the catalog's back: only a cache hit can still serve the entry.
    blobs.delete("tiny", "1", AcceleratedModels.MODEL_FILE);

    AcceleratedCatalog again = catalog.materialize(List.of("tiny/1"));

    assertThat(again.find("tiny", "1")).contains(cached);
    assertThat(Files.readAttributes(cached, "unix:ino")).isEqualTo(firstFile);
  }

  @Test
  void materialize_replacesTheCopyWhenTheEntryChanged() throws Exception {
    drop("tiny", "1", model(ModelKind.TINY_FEATURIZER, 42));
    catalog.materialize(List.of("tiny/1"));
    byte[] retrained = model(ModelKind.TINY_FEATURIZER, 99);
    drop("tiny", "1", retrained);

    AcceleratedCatalog local = catalog.materialize(List.of("tiny/1"));

    assertThat(sha256(Files.readAllBytes(local.find("tiny", "1").orElseThrow()))).isEqualTo(sha256(retrained));
  }

  @Test
  void materialize_removesTheCopyOfAnEntryThatTurnedInvalid() throws Exception {
    drop("tiny", "1", model(ModelKind.TINY_FEATURIZER, 42));
    catalog.materialize(List.of("tiny/1"));
    drop("tiny", "1", "overwritten by mistake".getBytes(StandardCharsets.UTF_8));

    AcceleratedCatalog local = catalog.materialize(List.of("tiny/1"));

    assertThat(local.find("tiny", "1")).isEmpty();
    assertThat(Files.exists(cacheDir.resolve("tiny/1/model.onnx.sha256"))).isFalse();
  }

  @Test
  void materialize_leavesOutAnEntryOverwrittenSinceItWasChecked() throws Exception {
    drop("tiny", "1", model(ModelKind.TINY_FEATURIZER, 42));
    // Overwritten, and its trigger has not run yet: the row still names the old version.
    blobs.dropModel("tiny", "1", model(ModelKind.TINY_FEATURIZER, 43));

    assertThat(catalog.materialize(List.of("tiny/1")).find("tiny", "1")).isEmpty();
  }

  @Test
  void materialize_fromManyThreadsAtOnceLeavesOneWholeCopy() throws Exception {
    byte[] featurizer = model(ModelKind.TINY_FEATURIZER, 42);
    drop("tiny", "1", featurizer);
    int threads = 8;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<AcceleratedCatalog>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        Callable<AcceleratedCatalog> materialize = () -> {
          start.await();
          return catalog.materialize(List.of("tiny/1"));
        };
        results.add(pool.submit(materialize));
      }
      start.countDown();
      for (Future<AcceleratedCatalog> result : results) {
        Path model = result.get().find("tiny", "1").orElseThrow();
        assertThat(Files.readAllBytes(model)).isEqualTo(featurizer);
      }
    } finally {
      pool.shutdownNow();
    }
    try (Stream<Path> incoming = Files.list(cacheDir.resolve(".incoming"))) {
      assertThat(incoming).isEmpty();
    }
  }

  @Test
  void materialize_ignoresNamesThatCannotBeFolders() throws Exception {
    AcceleratedCatalog local = catalog.materialize(List.of("../escape/1", "no-version", "a/b/c", ""));

    assertThat(local.entries()).isEmpty();
    assertThat(Files.exists(dir.resolve("escape"))).isFalse();
  }
}
