package io.realtimeai.pipeline;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One model stage loaded on its engine (ONNX Runtime or TensorFlow): the tensors it takes and
 * gives, and a run. The pipeline chains stages through {@link Tensor}s, so that it never needs to
 * know which engine runs which stage. Implementations are thread-safe: runs may overlap.
 */
interface StageModel extends AutoCloseable {
  /**
   * An input or output of a model.
   *
   * @param name its name in the model ({@code Input:0} for a TensorFlow tensor, {@code images} for ONNX or an alias)
   * @param type its element type, or null when the pipeline cannot carry it (see {@code typeName})
   * @param typeName how messages name its type ({@code float32}; {@code string} only for TensorFlow's
   *     {@code tf.string}, which takes encoded images; {@code tensor(string)} for ONNX's …)
   * @param shape its dimensions, -1 where free; null when even the rank is unknown
   */
  record Port(String name, ElementType type, String typeName, long[] shape) {
    /** True for a {@code tf.string} input: it takes the request's encoded images as they came. */
    boolean takesEncoded() {
      return "string".equals(typeName);
    }

    /** The shape, or an unknown rank, for messages: {@code [batch, 2048]}, {@code [?…]}. */
    String describeShape() {
      return shape == null ? "[?…]" : Shapes.describe(shape);
    }
  }

  /** The inputs a stage may be fed through, by name (a SavedModel's signature aliases, a graph's placeholders). */
  Map<String, Port> inputs();

  /** The outputs the model answers with, by name, the first one first (a frozen graph's: the tensors nothing consumes). */
  Map<String, Port> outputs();

  /** The input called {@code name} (with or without {@code :0}), if there is one. */
  Optional<Port> input(String name);

  /** The output called {@code name} (with or without {@code :0}), if there is one. */
  Optional<Port> output(String name);

  /** Whether every input must be fed on each run (ONNX), so that a model with several cannot be a stage. */
  boolean feedsEveryInput();

  /** The engine, for messages: {@code ONNX Runtime}, {@code TensorFlow 2.18.0}. */
  String engine();

  /**
   * Runs the model.
   *
   * @param input the input fed
   * @param value its value, of the input's element type
   * @param outputs the outputs wanted
   * @throws io.realtimeai.error.UnprocessableException when the engine refuses this input
   */
  Map<String, Tensor> run(Port input, Tensor value, Set<String> outputs);

  /**
   * Runs the model on encoded images fed to a {@code tf.string} input: as a vector of them when
   * the input is rank 1, else one image (a scalar) per call, so {@code images} holds one.
   */
  Map<String, Tensor> runEncoded(Port input, List<byte[]> images, Set<String> outputs);

  @Override
  void close();
}
