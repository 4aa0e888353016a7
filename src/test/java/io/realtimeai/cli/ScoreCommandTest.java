package io.realtimeai.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.realtimeai.packaging.ModelPackage;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.pipeline.Pipeline;
import io.realtimeai.pipeline.PipelineOptions;
import io.realtimeai.runtime.KeyRing;
import io.realtimeai.runtime.RuntimeSettings;
import io.realtimeai.runtime.ScoringRuntime;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestImages;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code realtime-ai score}: labelled top-N and latency per image, exit 1 when a call fails. */
@Tag("integration")
class ScoreCommandTest {
  @TempDir static Path dir;
  static ScoringRuntime runtime;
  static String address;

  @BeforeAll
  static void serve() throws Exception {
    Path folder = ModelFolders.tinyClassifier(dir.resolve("tiny"));
    ModelPackage modelPackage = ModelPackage.openDirectory(folder);
    runtime = new ScoringRuntime(new RuntimeSettings("tiny", 0, null, KeyRing.of(List.of("k")), null, null,
        RuntimeSettings.DEFAULT_MAX_INBOUND_MESSAGE_BYTES, null)).start(() -> Pipeline.load(folder,
        modelPackage.definition(), AcceleratedCatalog.none(), PipelineOptions.serving().withIntraOpThreads(1)));
    address = "localhost:" + runtime.port();
    Files.write(dir.resolve("a.jpg"), TestImages.jpeg());
    Files.write(dir.resolve("b.png"), TestImages.picture("png", 300, 200));
    Files.writeString(dir.resolve("notes.txt"), "not an image");
  }

  @AfterAll
  static void stop() throws Exception {
    runtime.stop();
  }

  private static String[] run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    PrintStream stderr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int code = Main.execute(args);
      return new String[] {Integer.toString(code), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    } finally {
      System.setOut(stdout);
      System.setErr(stderr);
    }
  }

  @Test
  void score_printsLabelledTopNAndLatencyPerImage() {
    String[] result = run("score", "--address", address, "--key", "k", "--top", "2",
        dir.resolve("a.jpg").toString(), dir.resolve("b.png").toString());

    assertThat(result[0]).isEqualTo("0");
    assertThat(result[1]).containsPattern("a\\.jpg  \\d+\\.\\d ms\\n  1\\. class-\\d+ +0\\.\\d{4}  \\(\\d+\\)\\n  2\\. class-\\d+");
    assertThat(result[1]).containsPattern("b\\.png  \\d+\\.\\d ms");
  }

  @Test
  void score_sendsEveryImageInOneCallWithBatch() {
    String[] result = run("score", "--address", address, "--key", "k", "--batch",
        dir.resolve("a.jpg").toString(), dir.resolve("b.png").toString());
    assertThat(result[0]).isEqualTo("0");
    assertThat(result[1]).containsPattern("2 images in one call: \\d+\\.\\d ms");
  }

  @Test
  void score_reportsAnImageTheServiceRefusesAndExitsWithOne() {
    String[] result = run("score", "--address", address, "--key", "k",
        dir.resolve("notes.txt").toString(), dir.resolve("a.jpg").toString());
    assertThat(result[0]).isEqualTo("1");
    assertThat(result[2]).contains("notes.txt: INVALID_ARGUMENT: input 'images'[0]: not a JPEG, PNG, BMP or GIF image");
    assertThat(result[1]).contains("a.jpg");
  }

  @Test
  void score_refusedWithoutTheKey() {
    String[] result = run("score", "--address", address, dir.resolve("a.jpg").toString());
    assertThat(result[0]).isEqualTo("1");
    assertThat(result[2]).contains("UNAUTHENTICATED: missing key");
  }
}
