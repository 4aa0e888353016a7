package io.realtimeai.bench;

import io.realtimeai.generate.ModelGenerator;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.generate.OnnxGraphBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The benchmark's one generated model and the package folders that serve it: tensor input (the
 * onnx stage only), 224² JPEG input (the image stage first), and the JPEG package with batching.
 *
 * @param kind the generated model
 * @param model its {@code model.onnx}
 * @param tensorPackage a package with only the onnx stage: input a float32 [1,3,224,224] tensor
 * @param jpegPackage a package with the image stage and labels: input encoded images
 * @param batchingPackage the JPEG package with {@code "batching"} in its service definition
 */
public record BenchModel(ModelKind kind, Path model, Path tensorPackage, Path jpegPackage, Path batchingPackage) {
  /** The image stage of every JPEG package: ImageNet's preprocessing. */
  public static final String IMAGE_STAGE = """
      { "type": "image", "size": [224, 224], "resize": "shorter_side", "shorter_side": 256,
        "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "scale": 0.00392156862745098 }""";

  /** The batching the batching package asks for. */
  public static final String BATCHING = "{ \"max_batch\": 16, \"max_queue_delay_us\": 2000 }";

  /** Generates {@code kind} (seeded) into {@code work} and writes the three package folders beside it. */
  public static BenchModel write(ModelKind kind, Path work) throws IOException {
    Path root = work.resolve(kind.id());
    Path tensor = root.resolve("tensor");
    Path jpeg = root.resolve("jpeg");
    Path batching = root.resolve("jpeg-batching");
    for (Path folder : new Path[] {tensor, jpeg, batching}) {
      Files.createDirectories(folder);
    }
    Path model = tensor.resolve("model.onnx");
    OnnxGraphBuilder.write(ModelGenerator.generate(kind, 1), model);
    Files.writeString(tensor.resolve("service_def.json"),
        "{ \"pipeline\": [ { \"type\": \"onnx\", \"model_path\": \"model.onnx\" } ] }");
    String labels = IntStream.range(0, kind == ModelKind.TINY ? 10 : 1000).mapToObj(i -> "class " + i)
        .collect(Collectors.joining("\n"));
    String pipeline = "\"pipeline\": [" + IMAGE_STAGE + ", { \"type\": \"onnx\", \"model_path\": \"model.onnx\" } ],"
        + " \"labels\": \"labels.txt\"";
    for (Path folder : new Path[] {jpeg, batching}) {
      // A hard link where the file system allows: a second 100 MB copy of ResNet-50 is wasted disk.
      try {
        Files.createLink(folder.resolve("model.onnx"), model);
      } catch (IOException | UnsupportedOperationException e) {
        Files.copy(model, folder.resolve("model.onnx"));
      }
      Files.writeString(folder.resolve("labels.txt"), labels);
    }
    Files.writeString(jpeg.resolve("service_def.json"), "{ " + pipeline + " }");
    Files.writeString(batching.resolve("service_def.json"), "{ " + pipeline + ", \"batching\": " + BATCHING + " }");
    return new BenchModel(kind, model, tensor, jpeg, batching);
  }
}
