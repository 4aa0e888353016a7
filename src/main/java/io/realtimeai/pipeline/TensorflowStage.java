package io.realtimeai.pipeline;

/**
 * A TensorFlow model in the package, run on TensorFlow Java: a frozen GraphDef ({@code .pb}) or a
 * SavedModel folder. A {@code tf.string} input receives the request's encoded images as they came.
 *
 * @param modelPath the {@code .pb} file, or the SavedModel folder, inside the package
 * @param inputTensor the tensor fed by the previous stage: a graph tensor ({@code in_images:0}, the
 *     {@code :0} optional) or a signature input alias (optional when there is one input)
 * @param outputTensor the tensor that feeds the next stage, named the same way (optional when there is one)
 * @param signatureName the SavedModel signature to run ({@code serving_default} when absent); not for a GraphDef
 * @param name the stage's name, informational (Brainwave's stages carry one)
 */
public record TensorflowStage(String modelPath, String inputTensor, String outputTensor, String signatureName,
    String name) implements Stage {
  /** The signature a SavedModel is run by unless the stage names another. */
  public static final String DEFAULT_SIGNATURE = "serving_default";

  public TensorflowStage {
    if (modelPath == null || modelPath.isBlank()) {
      throw new IllegalArgumentException(
          "model_path: required, the frozen GraphDef (.pb) or SavedModel folder's path inside the package");
    }
  }

  @Override
  public String typeName() {
    return "tensorflow";
  }
}
