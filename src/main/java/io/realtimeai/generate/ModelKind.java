package io.realtimeai.generate;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The models {@link ModelGenerator} builds, each with the stable name a command line picks it by and
 * its inputs and outputs; {@code batch} is the symbolic batch dimension.
 */
public enum ModelKind {
  RESNET50("resnet50",
      "ResNet-50 featurizer: images float32 [batch,3,224,224] -> features float32 [batch,2048]"),
  RESNET50_HEAD("resnet50-head",
      "ResNet-50 classifier head: features float32 [batch,2048] -> probabilities float32 [batch,1000]"),
  RESNET50_CLASSIFIER("resnet50-classifier",
      "ResNet-50 featurizer and head: images float32 [batch,3,224,224] -> probabilities float32 [batch,1000]"),
  TINY("tiny", "images float32 [batch,3,224,224] -> scores float32 [batch,10]"),
  TINY_FEATURIZER("tiny-featurizer", "images float32 [batch,3,224,224] -> features float32 [batch,8]"),
  TINY_HEAD("tiny-head", "features float32 [batch,8] -> probabilities float32 [batch,10]"),
  TINY_MULTI("tiny-multi",
      "images float32 [batch,3,224,224] -> scores float32 [batch,10], embedding float32 [batch,3]"),
  TINY_FP16("tiny-fp16", "images float16 [batch,3,224,224] -> scores float32 [batch,10]"),
  TINY_UINT8("tiny-uint8", "images uint8 [batch,224,224,3] (NHWC) -> scores float32 [batch,10]"),
  TINY_VECTOR("tiny-vector", "x float32 [batch,4] -> y float32 [batch,3]");

  private final String id;
  private final String description;

  ModelKind(String id, String description) {
    this.id = id;
    this.description = description;
  }

  /** The stable name of this kind ({@code resnet50}, {@code tiny-head} …). */
  public String id() {
    return id;
  }

  /** One line naming what the model is and its inputs and outputs. */
  public String description() {
    return description;
  }

  /** The kind with this name, if there is one. */
  public static Optional<ModelKind> byId(String id) {
    return Arrays.stream(values()).filter(kind -> kind.id.equals(id)).findFirst();
  }

  /** The names of all kinds, in declaration order. */
  public static List<String> ids() {
    return Arrays.stream(values()).map(ModelKind::id).toList();
  }

  /** The name of this kind. */
  @Override
  public String toString() {
    return id;
  }
}
