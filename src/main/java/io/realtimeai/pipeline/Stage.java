package io.realtimeai.pipeline;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/** One step of a service definition's pipeline; each stage's output feeds the next stage's input. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = ImageStage.class, name = "image"),
  @JsonSubTypes.Type(value = OnnxStage.class, name = "onnx"),
  @JsonSubTypes.Type(value = AcceleratedStage.class, names = {"brainwave", "accelerated"}),
  @JsonSubTypes.Type(value = TensorflowStage.class, name = "tensorflow")
})
public sealed interface Stage permits ImageStage, OnnxStage, AcceleratedStage, TensorflowStage {
  /** The stage type as written in {@code service_def.json}. */
  String typeName();
}
