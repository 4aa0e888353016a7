package io.realtimeai.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real ImageNet fixtures in {@code ../shared/fixtures/imagenet/}: a pretrained classifier and
 * photographs with known answers. Tests that need them skip, saying why, where the folder is absent.
 */
public final class Fixtures {
  private Fixtures() {}

  private static boolean warned;

  /** True when the fixtures are there. */
  public static boolean available() {
    return Files.isRegularFile(dir().resolve("mobilenetv2-12-int8.onnx"));
  }

  /** The fixtures folder, or the test is skipped with a message naming where it was looked for. */
  public static Path imagenet() {
    String message = "ImageNet fixtures not found at " + dir().toAbsolutePath() + ": skipping the end-to-end check";
    if (!available()) {
      synchronized (Fixtures.class) {
        if (!warned) {
          // Surefire counts skips but does not print why: say it once where the build log shows it.
          System.err.println("[fixtures] " + message);
          warned = true;
        }
      }
    }
    assumeTrue(available(), message);
    return dir();
  }

  private static Path dir() {
    return Path.of(System.getProperty("fixtures.dir", "../shared/fixtures")).resolve("imagenet");
  }

  /**
   * Writes the package folder of the fixture classifier into {@code dir}: the model and labels
   * copied (into a temporary folder, never into the project) and the Model Zoo's preprocessing.
   */
  public static Path mobilenetFolder(Path dir) throws java.io.IOException {
    Path fixtures = imagenet();
    Files.createDirectories(dir);
    Files.copy(fixtures.resolve("mobilenetv2-12-int8.onnx"), dir.resolve("mobilenetv2-12-int8.onnx"));
    Files.copy(fixtures.resolve("imagenet_classes.txt"), dir.resolve("labels.txt"));
    Files.writeString(dir.resolve("service_def.json"), MOBILENET_DEFINITION);
    return dir;
  }

  /** The service definition of the fixture classifier (ONNX Model Zoo preprocessing). */
  public static final String MOBILENET_DEFINITION = """
      {
        "aml_runtime_version": "1.1",
        "pipeline": [
          { "type": "image", "size": [224, 224], "resize": "shorter_side", "shorter_side": 256,
            "color_order": "RGB", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
            "scale": 0.00392156862745098, "layout": "NCHW" },
          { "type": "onnx", "model_path": "mobilenetv2-12-int8.onnx",
            "input_tensor": "input:0", "output_tensor": "output" }
        ],
        "labels": "labels.txt",
        "output": { "name": "output_alias", "softmax": true, "top_k": 5 }
      }
      """;
}
