package io.realtimeai.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TensorflowGraphs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code realtime-ai package}: exit codes and what the user reads. */
@Tag("integration")
class PackageCommandTest {
  @TempDir Path dir;

  private int run(ByteArrayOutputStream out, ByteArrayOutputStream err, String... args) {
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
  void package_writesTheZipAndSaysWhatItHolds() throws Exception {
    Path folder = ModelFolders.tinyClassifier(dir.resolve("tiny"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    int code = run(out, new ByteArrayOutputStream(), "package", folder.toString(), "-o", dir.resolve("tiny.zip").toString());

    assertThat(code).isZero();
    assertThat(dir.resolve("tiny.zip")).exists();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("3 files (labels.txt, service_def.json, tiny.onnx)", "sha256 ");
  }

  @Test
  void package_printsThePipelineItUnderstood() throws Exception {
    Path folder = TensorflowGraphs.walkthroughFolder(dir.resolve("walkthrough"), 1000);
    TensorflowGraphs.featurizer(dir.resolve("catalog/resnet50/1.1.6-rc/model.onnx"), 3);
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    int code = run(out, new ByteArrayOutputStream(), "package", folder.toString(), "--catalog",
        dir.resolve("catalog").toString(), "-o", dir.resolve("walkthrough.zip").toString());

    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("""
        pipeline:
          [0] tensorflow  input_trans.pb
              in  in_images:0  string[?…]
              out transferred_input:0  float32[1, ?, ?, 3]
          [1] accelerated resnet50/1.1.6-rc
              in  images  float32[batch, 224, 224, 3]
              out features  float32[batch, 1, 1, 2048]
          [2] tensorflow  resnet50_classifier.pb
              in  Input:0  float32[batch, 1, 1, 2048]
              out resnet_v1_50/logits/Softmax:0  float32[batch, 1000]
          labels: none (answers carry class indexes, not names)
        wrote """);
  }

  @Test
  void package_listsEveryProblemAndExitsWithOne() throws Exception {
    Path folder = dir.resolve("broken");
    ModelFolders.definition(folder, "{ 'pipeline': [ { 'type': 'onnx', 'model_path': 'a.onnx' } ], 'labels': 'l.txt' }");
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int code = run(new ByteArrayOutputStream(), err, "package", folder.toString());

    assertThat(code).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualToNormalizingNewlines("""
        realtime-ai: invalid model package (2 problems):
          - pipeline[0].model_path: file 'a.onnx' is not in the package
          - labels: file 'l.txt' is not in the package
        """);
  }

  @Test
  void package_refusesAFolderWithoutDefinition() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = run(new ByteArrayOutputStream(), err, "package", dir.toString());
    assertThat(code).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("realtime-ai: invalid model package: service_def.json: missing in ");
  }
}
