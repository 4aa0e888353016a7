package io.realtimeai.testing;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.realtimeai.generate.OnnxGraphBuilder;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.NdArrays;
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
 * The Brainwave walkthrough's models, built here with TensorFlow Java's own ops (nothing is
 * downloaded): its image graph, its classifier graph, the SavedModel the azureml-accel flow saves,
 * and a featurizer for the accelerated catalog's {@code resnet50/1.1.6-rc}.
 */
public final class TensorflowGraphs {
  /** The walkthrough's featurizer output, one item: {@code [1, 1, 2048]}. */
  public static final int FEATURES = 2048;

  /**
   * The walkthrough's {@code service_def.json} exactly as amlrealtimeai's {@code ServiceDefinition.save}
   * writes it ({@code json.dump(..., sort_keys=True)}: one line, keys sorted, each stage's {@code name}).
   */
  public static final String WALKTHROUGH_DEFINITION = "{\"aml_runtime_version\": \"1.1\", \"pipeline\": ["
      + "{\"input_tensor\": \"in_images:0\", \"model_path\": \"input_trans.pb\", \"name\": \"input_trans.pb\","
      + " \"output_tensor\": \"transferred_input:0\", \"type\": \"tensorflow\"}, "
      + "{\"model_ref\": \"resnet50\", \"model_version\": \"1.1.6-rc\", \"name\": null,"
      + " \"output_tensor_dims\": [1, 1, 2048], \"type\": \"brainwave\"}, "
      + "{\"input_tensor\": \"Input:0\", \"model_path\": \"resnet50_classifier.pb\", \"name\": \"resnet50_classifier.pb\","
      + " \"output_tensor\": \"resnet_v1_50/logits/Softmax:0\", \"type\": \"tensorflow\"}]}";

  private TensorflowGraphs() {}

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
      return graph.toGraphDef().toByteArray();
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
      return graph.toGraphDef().toByteArray();
    }
  }

  /**
   * A SavedModel as the azureml-accel flow saves one: signature {@code serving_default} with input
   * {@code images} (float {@code [N, 1, 1, 2048]}) and output {@code output_alias} (softmax over
   * {@code classes}), the same weights as {@link #classifier} for the same seed.
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
   * The accelerated catalog's featurizer for the walkthrough: images float {@code [N, 224, 224, 3]}
   * (NHWC, as {@code input_trans.pb} gives them) → features {@code [N, 1, 1, 2048]}: a 1×1
   * convolution of seeded weights, ReLU and a global average pool.
   */
  public static void featurizer(Path file, long seed) throws IOException {
    Files.createDirectories(file.getParent());
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

  /**
   * The walkthrough's three models run one after the other by hand on one PNG (TensorFlow, ONNX
   * Runtime, TensorFlow), without the pipeline: what a served walkthrough must answer.
   */
  public static float[] runByHand(Path folder, Path featurizer, byte[] png) throws Exception {
    float[] image;
    long[] imageShape;
    try (Graph graph = new Graph()) {
      graph.importGraphDef(GraphDef.parseFrom(Files.readAllBytes(folder.resolve("input_trans.pb"))));
      try (Session session = new Session(graph); TString in = TString.tensorOfBytes(NdArrays.scalarOfObject(png));
          Result result = session.runner().feed("in_images:0", in).fetch("transferred_input:0").run()) {
        TFloat32 out = (TFloat32) result.get(0);
        imageShape = out.shape().asArray();
        image = new float[(int) out.size()];
        out.copyTo(org.tensorflow.ndarray.buffer.DataBuffers.of(image, false, false));
      }
    }
    float[] features;
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(featurizer.toString());
        OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(image), imageShape);
        OrtSession.Result result = session.run(Map.of("images", in))) {
      FloatBuffer buffer = ((OnnxTensor) result.get(0)).getFloatBuffer();
      features = new float[buffer.remaining()];
      buffer.get(features);
    }
    try (Graph graph = new Graph()) {
      graph.importGraphDef(GraphDef.parseFrom(Files.readAllBytes(folder.resolve("resnet50_classifier.pb"))));
      try (Session session = new Session(graph);
          TFloat32 in = TFloat32.tensorOf(org.tensorflow.ndarray.Shape.of(1, 1, 1, FEATURES),
              org.tensorflow.ndarray.buffer.DataBuffers.of(features, true, false));
          Result result = session.runner().feed("Input:0", in).fetch("resnet_v1_50/logits/Softmax:0").run()) {
        TFloat32 out = (TFloat32) result.get(0);
        float[] scores = new float[(int) out.size()];
        out.copyTo(org.tensorflow.ndarray.buffer.DataBuffers.of(scores, false, false));
        return scores;
      }
    }
  }

  /** A folder holding the walkthrough's definition and graphs ({@code classes} classes), ready to zip. */
  public static Path walkthroughFolder(Path folder, int classes) throws IOException {
    Files.createDirectories(folder);
    Files.writeString(folder.resolve("service_def.json"), WALKTHROUGH_DEFINITION);
    Files.write(folder.resolve("input_trans.pb"), inputTrans());
    Files.write(folder.resolve("resnet50_classifier.pb"), classifier(classes, 7));
    return folder;
  }
}
