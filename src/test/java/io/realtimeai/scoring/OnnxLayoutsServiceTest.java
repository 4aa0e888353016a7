package io.realtimeai.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.realtimeai.packaging.ModelPackage;
import io.realtimeai.packaging.ModelPackager;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.pipeline.Pipeline;
import io.realtimeai.pipeline.PipelineOptions;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.OnnxLayouts;
import io.realtimeai.testing.TestApp;
import io.realtimeai.testing.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each ONNX layout users bring, the whole way a user takes it: packaged, dropped into
 * {@code model-uploads}, registered, deployed as a service of its own, and scored over HTTP with
 * its labels; the answer is the model's own (the same pipeline run in this process).
 */
@Tag("integration")
class OnnxLayoutsServiceTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  private static final Duration SETTLE = Duration.ofSeconds(120);

  @TempDir static Path dir;
  static TestApp app;
  static HttpScoringCalls calls;

  @BeforeAll
  static void start() throws Exception {
    app = TestApp.start(azurite, dir, TestApp.localReplicas(dir));
    calls = new HttpScoringCalls(app);
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close();
    }
  }

  @ParameterizedTest
  @EnumSource(OnnxLayouts.class)
  void layout_registersDeploysAndScoresWithItsLabels(OnnxLayouts layout) throws Exception {
    String name = layout.name().toLowerCase(Locale.ROOT).replace('_', '-');
    Path folder = layout.folder(dir.resolve(name));
    Path zip = dir.resolve(name + ".zip");
    ModelPackager.pack(folder, zip, AcceleratedCatalog.none());
    byte[] image = TestImages.jpeg();

    app.drop(StorageLayout.MODEL_UPLOADS, name + ".zip", Files.readAllBytes(zip));
    JsonNode upload = app.awaitJson("/api/uploads/" + name, SETTLE,
        body -> body.has("state") && !body.get("state").asText().equals("Pending"));
    assertThat(upload.get("state").asText()).as(upload.toString()).isEqualTo("Registered");
    assertThat(calls.finished(calls.create(name, upload.get("modelId").asText(), "CPU"))).isEqualTo("Succeeded");
    try {
      HttpScoringCalls.Answer answer = calls.post("/api/services/" + name + "/score?persist=false&top=3",
          "image/jpeg", image);

      assertThat(answer.status()).as(answer.text()).isEqualTo(200);
      JsonNode top = answer.body().at("/predictions/0");
      assertThat(top).hasSize(3);
      float[] own = ownScores(folder, image);
      for (JsonNode prediction : top) {
        int index = prediction.get("index").asInt();
        assertThat(prediction.get("label").asText()).isEqualTo("class-" + index);
        assertThat(prediction.get("confidence").asDouble()).isCloseTo(own[index], org.assertj.core.data.Offset.offset(1e-4));
      }
    } finally {
      calls.delete(name);
    }
  }

  /** The layout's pipeline run here, on the same image. */
  private static float[] ownScores(Path folder, byte[] image) throws Exception {
    ModelPackage modelPackage = ModelPackage.openDirectory(folder);
    try (Pipeline pipeline = Pipeline.load(modelPackage.root(), modelPackage.definition(), AcceleratedCatalog.none(),
        PipelineOptions.serving().withIntraOpThreads(1))) {
      return pipeline.predictImages(List.of(image)).get("output_alias").toFloats();
    }
  }
}
