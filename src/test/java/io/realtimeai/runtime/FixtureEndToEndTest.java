package io.realtimeai.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.realtimeai.cli.Main;
import io.realtimeai.client.Prediction;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.packaging.ModelPackage;
import io.realtimeai.packaging.PackageLimits;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.pipeline.Pipeline;
import io.realtimeai.pipeline.PipelineOptions;
import io.realtimeai.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real pretrained classifier, packaged with {@code realtime-ai package}, served over gRPC,
 * gives the documented answer for each real photograph, one per call and four in one call.
 */
@Tag("integration")
class FixtureEndToEndTest {
  private static final List<String> PHOTOS =
      List.of("imagenet_finch.jpeg", "winml_kitten_224.png", "winml_fish.png", "grace_hopper.jpg");

  @TempDir static Path dir;
  static ScoringRuntime runtime;
  static PredictionClient client;
  static List<byte[]> photos = new ArrayList<>();

  @BeforeAll
  static void serve() throws Exception {
    if (!Fixtures.available()) {
      return;
    }
    Path folder = Fixtures.mobilenetFolder(dir.resolve("mobilenet"));
    Path zip = dir.resolve("mobilenet.zip");
    assertThat(Main.execute("package", folder.toString(), "-o", zip.toString())).isZero();
    for (String photo : PHOTOS) {
      photos.add(Files.readAllBytes(Fixtures.imagenet().resolve(photo)));
    }
    runtime = new ScoringRuntime(RuntimeSettings.loopback()).start(() -> {
      ModelPackage modelPackage = ModelPackage.extract(zip, dir.resolve("extracted"), PackageLimits.DEFAULT);
      return Pipeline.load(modelPackage.root(), modelPackage.definition(), AcceleratedCatalog.none(),
          PipelineOptions.serving());
    });
    client = PredictionClient.builder("localhost:" + runtime.port()).build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
      runtime.stop();
    }
  }

  @BeforeEach
  void needsFixtures() {
    Fixtures.imagenet();
  }

  @Test
  void eachPhotoAloneGivesItsDocumentedAnswer() {
    List<List<Prediction>> answers = new ArrayList<>();
    for (byte[] photo : photos) {
      answers.add(client.classify(List.of(photo), 5).get(0));
    }
    assertDocumentedAnswers(answers);
  }

  @Test
  void fourPhotosInOneCallGiveTheSameAnswers() {
    assertDocumentedAnswers(client.classify(photos, 5));
  }

  private static void assertDocumentedAnswers(List<List<Prediction>> answers) {
    assertThat(answers).hasSize(4);
    assertThat(answers.get(0).get(0)).satisfies(p -> {
      assertThat(p.index()).isEqualTo(12);
      assertThat(p.label()).isEqualTo("house finch");
      assertThat(p.confidence()).isGreaterThan(0.95f);
    });
    assertThat(answers.get(1).get(0)).satisfies(p -> {
      assertThat(p.index()).isEqualTo(281);
      assertThat(p.label()).isEqualTo("tabby");
    });
    assertThat(answers.get(2).get(0)).satisfies(p -> {
      assertThat(p.index()).isEqualTo(0);
      assertThat(p.label()).isEqualTo("tench");
    });
    assertThat(answers.get(3)).extracting(Prediction::index).contains(652);
  }
}
