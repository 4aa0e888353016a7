package io.realtimeai.pipeline;

/**
 * A model file in the package run on ONNX Runtime.
 *
 * @param modelPath the file's path inside the package
 * @param inputTensor the model input fed by the previous stage (optional when it has one input)
 * @param outputTensor the model output that feeds the next stage (optional when it has one output)
 * @param name the stage's name, informational (Brainwave's stages carry one)
 */
public record OnnxStage(String modelPath, String inputTensor, String outputTensor, String name) implements Stage {
  public OnnxStage {
    if (modelPath == null || modelPath.isBlank()) {
      throw new IllegalArgumentException("model_path: required, the ONNX file's path inside the package");
    }
  }

  @Override
  public String typeName() {
    return "onnx";
  }
}
