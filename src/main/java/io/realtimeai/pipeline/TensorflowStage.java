package io.realtimeai.pipeline;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** A TensorFlow graph stage: recognised so that it can be refused with a way to convert it. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TensorflowStage(String modelPath) implements Stage {
  /** What a user does with a TensorFlow graph instead. */
  public static final String CONVERSION_HINT =
      "TensorFlow graphs are not run here; convert the graph to ONNX with tf2onnx"
          + " (python -m tf2onnx.convert --saved-model DIR --output model.onnx, or --graphdef frozen.pb"
          + " --inputs Input:0 --outputs Softmax:0 --output model.onnx)"
          + " and declare it as {\"type\": \"onnx\", \"model_path\": \"model.onnx\"}";

  @Override
  public String typeName() {
    return "tensorflow";
  }
}
