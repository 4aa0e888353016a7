package io.realtimeai.pipeline;

import java.util.List;

/**
 * A featurizer from the accelerated model catalog ({@code {model_ref}/{model_version}/model.onnx}),
 * referenced by name rather than shipped in the package: Brainwave's {@code brainwave} stage.
 *
 * @param modelRef the catalog entry's name, e.g. {@code resnet50}
 * @param modelVersion the catalog entry's version
 * @param outputTensorDims the featurizer's output shape, checked with the batch dimension free:
 *     either the whole shape (its first entry is the batch) or the shape of one item
 * @param inputTensor the featurizer input (optional when it has one input)
 * @param outputTensor the featurizer output (optional when it has one output)
 * @param name the stage's name, informational (Brainwave's stages carry one)
 */
public record AcceleratedStage(
    String modelRef,
    String modelVersion,
    List<Long> outputTensorDims,
    String inputTensor,
    String outputTensor,
    String name)
    implements Stage {
  public AcceleratedStage {
    if (modelRef == null || modelRef.isBlank()) {
      throw new IllegalArgumentException("model_ref: required, the accelerated model's name in the catalog");
    }
    if (modelVersion == null || modelVersion.isBlank()) {
      throw new IllegalArgumentException("model_version: required, the accelerated model's version in the catalog");
    }
    outputTensorDims = outputTensorDims == null ? null : List.copyOf(outputTensorDims);
  }

  @Override
  public String typeName() {
    return "accelerated";
  }
}
