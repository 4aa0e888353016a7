package io.realtimeai.testing;

import io.realtimeai.generate.ModelGenerator;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.generate.OnnxGraphBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** Model package folders built from generated models, for tests. */
public final class ModelFolders {
  private ModelFolders() {}

  /** The image stage most tests use: 224×224 RGB, Model Zoo normalisation, NCHW. */
  public static final String IMAGE_STAGE = """
      { "type": "image", "size": [224, 224], "resize": "shorter_side", "shorter_side": 256,
        "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "scale": 0.00392156862745098 }""";

  /** Writes a generated model into {@code dir} under {@code fileName}. */
  public static Path model(Path dir, ModelKind kind, String fileName) throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve(fileName);
    OnnxGraphBuilder.write(ModelGenerator.generate(kind, 42), file);
    return file;
  }

  /** Writes {@code count} labels {@code class-0 …} into {@code dir/labels.txt}. */
  public static void labels(Path dir, int count) throws IOException {
    Files.writeString(dir.resolve("labels.txt"),
        IntStream.range(0, count).mapToObj(i -> "class-" + i).collect(Collectors.joining("\n")));
  }

  /** Writes {@code service_def.json}; single quotes in {@code json} stand for double quotes. */
  public static void definition(Path dir, String json) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("service_def.json"), json.replace('\'', '"'));
  }

  /** A folder with the {@code tiny} classifier behind the image stage, 10 labels, softmax on. */
  public static Path tinyClassifier(Path dir) throws IOException {
    model(dir, ModelKind.TINY, "tiny.onnx");
    labels(dir, 10);
    definition(dir, "{ 'pipeline': [" + IMAGE_STAGE.replace('"', '\'') + ", "
        + "{ 'type': 'onnx', 'model_path': 'tiny.onnx' } ], 'labels': 'labels.txt', "
        + "'output': { 'softmax': true } }");
    return dir;
  }

  /** A folder with {@code tiny-multi} (outputs {@code scores} and {@code embedding}) behind the image stage. */
  public static Path tinyMulti(Path dir) throws IOException {
    model(dir, ModelKind.TINY_MULTI, "multi.onnx");
    definition(dir, "{ 'pipeline': [" + IMAGE_STAGE.replace('"', '\'') + ", "
        + "{ 'type': 'onnx', 'model_path': 'multi.onnx' } ] }");
    return dir;
  }

  /** A folder with {@code tiny-vector} ({@code x} float32 [batch,4] → {@code y} [batch,3}) and no image stage. */
  public static Path tinyVector(Path dir) throws IOException {
    model(dir, ModelKind.TINY_VECTOR, "vector.onnx");
    definition(dir, "{ 'pipeline': [ { 'type': 'onnx', 'model_path': 'vector.onnx' } ] }");
    return dir;
  }
}
