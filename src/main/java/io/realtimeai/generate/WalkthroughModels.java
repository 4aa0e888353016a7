package io.realtimeai.generate;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.google.protobuf.CodedOutputStream;
import io.realtimeai.pipeline.AcceleratedCatalog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Split;
import org.tensorflow.op.image.DecodePng;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

/**
 * The Brainwave walkthrough's models, built with TensorFlow Java's own ops (nothing is downloaded):
 * its image graph, its classifier graph, the SavedModel the azureml-accel flow saves, and a
 * featurizer for the accelerated catalog's {@code resnet50/1.1.6-rc}. The same seed always gives
 * the same weights.
 *
 * <p>TensorFlow's natives load only when one of these methods runs, so only {@code generate
 * walkthrough} (and the tests) pay for them.
 */
public final class WalkthroughModels {
  /** The walkthrough's featurizer output, one item: {@code [1, 1, 2048]}. */
  public static final int FEATURES = 2048;

  /** The walkthrough's classes: ImageNet's 1000. */
  public static final int CLASSES = 1000;

  /** The catalog entry the walkthrough's definition names: {@code resnet50/1.1.6-rc}. */
  public static final String CATALOG_ENTRY = "resnet50/1.1.6-rc";

  /**
   * The walkthrough's {@code service_def.json} exactly as amlrealtimeai's {@code ServiceDefinition.save}
   * writes it ({@code json.dump(..., sort_keys=True)}: one line, keys sorted, each stage's {@code name}).
   */
  public static final String DEFINITION = "{\"aml_runtime_version\": \"1.1\", \"pipeline\": ["
      + "{\"input_tensor\": \"in_images:0\", \"model_path\": \"input_trans.pb\", \"name\": \"input_trans.pb\","
      + " \"output_tensor\": \"transferred_input:0\", \"type\": \"tensorflow\"}, "
      + "{\"model_ref\": \"resnet50\", \"model_version\": \"1.1.6-rc\", \"name\": null,"
      + " \"output_tensor_dims\": [1, 1, 2048], \"type\": \"brainwave\"}, "
      + "{\"input_tensor\": \"Input:0\", \"model_path\": \"resnet50_classifier.pb\", \"name\": \"resnet50_classifier.pb\","
      + " \"output_tensor\": \"resnet_v1_50/logits/Softmax:0\", \"type\": \"tensorflow\"}]}";

  /**
   * What {@link #write} wrote.
   *
   * @param folder the walkthrough's folder: {@code service_def.json}, {@code input_trans.pb},
   *     {@code resnet50_classifier.pb}
   * @param catalog the accelerated catalog's folder
   * @param featurizer the catalog's {@code resnet50/1.1.6-rc/model.onnx}
   */
  public record Written(Path folder, Path catalog, Path featurizer) {}

  private WalkthroughModels() {}

  /**
   * Writes {@code dir/walkthrough/} (the definition and both graphs, {@link #CLASSES} classes) and
   * {@code dir/catalog/resnet50/1.1.6-rc/model.onnx}: what {@code package walkthrough --catalog
   * catalog} takes. The classifier's weights come from {@code seed}, the featurizer's from
   * {@code seed + 1}, so that the two do not draw the same numbers.
   *
   * @throws IllegalStateException when TensorFlow itself cannot start on this machine
   */
  public static Written write(Path dir, long seed) throws IOException {
    Path catalog = dir.resolve("catalog");
    Path featurizer = catalog.resolve(CATALOG_ENTRY).resolve(AcceleratedCatalog.MODEL_FILE);
    Path folder;
    try {
      folder = walkthroughFolder(dir.resolve("walkthrough"), CLASSES, seed);
    } catch (LinkageError e) {
      // The machine's fault, not the user's: TensorFlow's natives did not load here.
      throw new IllegalStateException("TensorFlow cannot start on this machine (" + System.getProperty("os.name")
          + " " + System.getProperty("os.arch") + "; this build carries TensorFlow's linux-x86_64 natives): "
          + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
    }
    featurizer(featurizer, seed + 1);
    return new Written(folder, catalog, featurizer);
  }

  /** Writes the walkthrough's definition and graphs ({@code classes} classes) into {@code folder}, ready to zip. */
  public static Path walkthroughFolder(Path folder, int classes, long seed) throws IOException {
    Files.createDirectories(folder);
    Files.writeString(folder.resolve("service_def.json"), DEFINITION, StandardCharsets.UTF_8);
    Files.write(folder.resolve("input_trans.pb"), inputTrans());
    Files.write(folder.resolve("resnet50_classifier.pb"), classifier(classes, seed));
    return folder;
  }

  /**
   * {@code input_trans.pb} as the walkthrough describes it: a {@code tf.string} placeholder
   * {@code in_images} holding one PNG, decoded (3 channels), cast to float, given a batch
   * dimension, split per channel, the VGG means subtracted, and concatenated in BGR order as
   * {@code transferred_input} {@code [1, height, width, 3]}.
   */
  public static byte[] inputTrans() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TString> images = tf.withName("in_images").placeholder(TString.class);
      Operand<TFloat32> decoded = tf.dtypes.cast(
          tf.image.decodePng(images, new DecodePng.Options[] {DecodePng.channels(3L)}), TFloat32.class);
      Operand<TFloat32> batch = tf.expandDims(decoded, tf.constant(0));
      Split<TFloat32> rgb = tf.split(tf.constant(3), batch, 3L);
      List<Operand<TFloat32>> bgr = List.of(
          tf.math.sub(rgb.output().get(2), tf.constant(103.939f)),
          tf.math.sub(rgb.output().get(1), tf.constant(116.779f)),
          tf.math.sub(rgb.output().get(0), tf.constant(123.68f)));
      tf.withName("transferred_input").concat(bgr, tf.constant(3));
      return deterministic(graph.toGraphDef());
    }
  }

  /**
   * {@code resnet50_classifier.pb}: {@code Input} float {@code [N, 1, 1, 2048]} → a dense layer of
   * seeded random weights → {@code resnet_v1_50/logits/Softmax} {@code [N, classes]}.
   */
  public static byte[] classifier(int classes, long seed) {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> input = tf.withName("Input").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 1, 1, FEATURES)));
      tf.withSubScope("resnet_v1_50").withSubScope("logits").withName("Softmax").nn.softmax(logits(tf, input, classes, seed));
      return deterministic(graph.toGraphDef());
    }
  }

  /**
   * Writes a SavedModel into {@code folder} as the azureml-accel flow saves one: signature
   * {@code serving_default} with input {@code images} (float {@code [N, 1, 1, 2048]}) and output
   * {@code output_alias} (softmax over {@code classes}), the same weights as {@link #classifier}
   * for the same seed.
   */
  public static void savedModel(Path folder, int classes, long seed) throws IOException {
    try (Graph graph = new Graph(); Session session = new Session(graph)) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> input = tf.withName("images").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 1, 1, FEATURES)));
      Operand<TFloat32> output = tf.withName("probabilities").nn.softmax(logits(tf, input, classes, seed));
      SavedModelBundle.exporter(folder.toString())
          .withSession(session)
          .withSignature(Signature.builder().key("serving_default").input("images", input)
              .output("output_alias", output).build())
          .export();
    }
  }

  /**
   * The graph's bytes with each node's attributes in key order: TensorFlow hands them over in its
   * hash map's order, which changes from one process to the next, and the same seed must give the
   * same bytes.
   */
  private static byte[] deterministic(GraphDef graph) {
    byte[] bytes = new byte[graph.getSerializedSize()];
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.useDeterministicSerialization();
    try {
      graph.writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException("writing a GraphDef to a byte array", e);
    }
    out.checkNoSpaceLeft();
    return bytes;
  }

  /** The dense layer both classifiers share, so that the same seed gives the same scores. */
  private static Operand<TFloat32> logits(Ops tf, Operand<TFloat32> input, int classes, long seed) {
    Random random = new Random(seed);
    float[] weights = new float[FEATURES * classes];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = (float) (random.nextGaussian() * 0.05);
    }
    float[] bias = new float[classes];
    for (int i = 0; i < classes; i++) {
      bias[i] = (float) (random.nextGaussian() * 0.1);
    }
    Operand<TFloat32> flat = tf.reshape(input, tf.constant(new int[] {-1, FEATURES}));
    Operand<TFloat32> product = tf.linalg.matMul(flat,
        tf.constant(Shape.of(FEATURES, classes), DataBuffers.of(weights, true, false)));
    return tf.math.add(product, tf.constant(Shape.of(classes), DataBuffers.of(bias, true, false)));
  }

  /**
   * Writes the accelerated catalog's featurizer for the walkthrough to {@code file}: images float
   * {@code [N, 224, 224, 3]} (NHWC, as {@code input_trans.pb} gives them) → features
   * {@code [N, 1, 1, 2048]}: a 1×1 convolution of seeded weights, ReLU and a global average pool.
   */
  public static void featurizer(Path file, long seed) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Random random = new Random(seed);
    float[] weights = new float[FEATURES * 3];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = (float) (random.nextGaussian() * 0.01);
    }
    OnnxGraphBuilder graph = new OnnxGraphBuilder("resnet50-1.1.6-rc")
        .input("images", DataType.FLOAT, 224, 224, 3)
        .output("features", DataType.FLOAT, 1, 1, FEATURES);
    String nchw = graph.node("Transpose", List.of("images"), "nchw", OnnxGraphBuilder.intsAttribute("perm", 0, 3, 1, 2));
    String conv = graph.node("Conv", List.of(nchw, graph.initializer("w", weights, FEATURES, 3, 1, 1)), "conv");
    String pooled = graph.node("GlobalAveragePool", List.of(graph.node("Relu", List.of(conv), "relu")), "pooled");
    graph.node("Transpose", List.of(pooled), "features", OnnxGraphBuilder.intsAttribute("perm", 0, 2, 3, 1));
    OnnxGraphBuilder.write(graph.build(), file);
  }
}
