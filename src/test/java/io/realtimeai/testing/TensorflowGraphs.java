package io.realtimeai.testing;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.realtimeai.generate.WalkthroughModels;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

/**
 * The Brainwave walkthrough's models for tests: {@link WalkthroughModels} builds them (the tests call
 * it through here, with the seeds they have always used), and {@link #runByHand} runs them without
 * the pipeline, to check what a served walkthrough answers.
 */
public final class TensorflowGraphs {
  /** The walkthrough's featurizer output, one item: {@code [1, 1, 2048]}. */
  public static final int FEATURES = WalkthroughModels.FEATURES;

  /** The walkthrough's {@code service_def.json} exactly as amlrealtimeai writes it. */
  public static final String WALKTHROUGH_DEFINITION = WalkthroughModels.DEFINITION;

  private TensorflowGraphs() {}

  /** The azureml-accel SavedModel: see {@link WalkthroughModels#savedModel}. */
  public static void savedModel(Path folder, int classes, long seed) throws IOException {
    WalkthroughModels.savedModel(folder, classes, seed);
  }

  /** The catalog's {@code resnet50/1.1.6-rc} featurizer: see {@link WalkthroughModels#featurizer}. */
  public static void featurizer(Path file, long seed) throws IOException {
    WalkthroughModels.featurizer(file, seed);
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
        out.copyTo(DataBuffers.of(image, false, false));
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
          TFloat32 in = TFloat32.tensorOf(Shape.of(1, 1, 1, FEATURES),
              DataBuffers.of(features, true, false));
          Result result = session.runner().feed("Input:0", in).fetch("resnet_v1_50/logits/Softmax:0").run()) {
        TFloat32 out = (TFloat32) result.get(0);
        float[] scores = new float[(int) out.size()];
        out.copyTo(DataBuffers.of(scores, false, false));
        return scores;
      }
    }
  }

  /** A folder holding the walkthrough's definition and graphs ({@code classes} classes, seed 7), ready to zip. */
  public static Path walkthroughFolder(Path folder, int classes) throws IOException {
    return WalkthroughModels.walkthroughFolder(folder, classes, 7);
  }
}
