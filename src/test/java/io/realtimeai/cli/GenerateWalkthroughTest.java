package io.realtimeai.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.realtimeai.generate.WalkthroughModels;
import io.realtimeai.testing.TensorflowGraphs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code realtime-ai generate walkthrough}, then {@code package} on what it wrote: the README's walkthrough
 * from the command line. (The command's usage errors are in {@code generate.GenerateCommandTest}.)
 */
@Tag("integration")
class GenerateWalkthroughTest {
  @TempDir Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    PrintStream stdout = System.out;
    PrintStream stderr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      return Main.execute(args);
    } finally {
      System.setOut(stdout);
      System.setErr(stderr);
    }
  }

  @Test
  void generateWalkthrough_writesAFolderThatPackagesWithItsCatalog() throws Exception {
    int code = run("generate", "walkthrough", "-o", dir.toString());

    assertThat(code).isZero();
    Path folder = dir.resolve("walkthrough");
    assertThat(folder.resolve("input_trans.pb")).isNotEmptyFile();
    assertThat(folder.resolve("resnet50_classifier.pb")).isNotEmptyFile();
    assertThat(dir.resolve("catalog/resnet50/1.1.6-rc/model.onnx")).isNotEmptyFile();
    // The definition as amlrealtimeai writes it, byte for byte: the tests' walkthrough is this one.
    assertThat(Files.readAllBytes(folder.resolve("service_def.json")))
        .isEqualTo(WalkthroughModels.DEFINITION.getBytes(StandardCharsets.UTF_8))
        .isEqualTo(TensorflowGraphs.WALKTHROUGH_DEFINITION.getBytes(StandardCharsets.UTF_8));
    assertThat(out.toString(StandardCharsets.UTF_8).lines().toList()).satisfiesExactly(
        line -> assertThat(line).startsWith("wrote walkthrough to " + folder + ": service_def.json, input_trans.pb (")
            .contains("resnet50_classifier.pb (1,000 classes, "),
        line -> assertThat(line).startsWith("wrote catalog to " + dir.resolve("catalog")
            + ": resnet50/1.1.6-rc/model.onnx (images float32 [batch,224,224,3] -> features float32 [batch,1,1,2048], "));

    // package loads every graph and the featurizer, as the runtime will
    out.reset();
    code = run("package", folder.toString(), "--catalog", dir.resolve("catalog").toString(),
        "-o", dir.resolve("x.zip").toString());

    assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(dir.resolve("x.zip")).isNotEmptyFile();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains(
        "[1] accelerated resnet50/1.1.6-rc",
        "out resnet_v1_50/logits/Softmax:0  float32[batch, 1000]",
        "wrote " + dir.resolve("x.zip") + ": 3 files (input_trans.pb, resnet50_classifier.pb, service_def.json)");
  }
}
