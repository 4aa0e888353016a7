package io.realtimeai.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.realtimeai.error.InvalidPackageException;
import io.realtimeai.testing.TensorflowGraphs;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceDefinitionsTest {
  private static ServiceDefinition parse(String json) {
    return ServiceDefinitions.parse(json.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
  }

  private static InvalidPackageException refusal(String json) {
    try {
      parse(json);
    } catch (InvalidPackageException e) {
      return e;
    }
    throw new AssertionError("accepted: " + json);
  }

  @Test
  void parse_readsTheBrainwaveExampleFromTheDesign() {
    ServiceDefinition definition = parse("""
        { 'aml_runtime_version': '1.1',
          'pipeline': [
            { 'type': 'image', 'size': [224, 224], 'resize': 'shorter_side', 'shorter_side': 256,
              'color_order': 'BGR', 'mean': [103.939, 116.779, 123.68], 'std': [1, 1, 1],
              'scale': 1.0, 'layout': 'NHWC' },
            { 'type': 'brainwave', 'model_ref': 'resnet50', 'model_version': '1',
              'output_tensor_dims': [1, 1, 2048] },
            { 'type': 'onnx', 'model_path': 'classifier.onnx',
              'input_tensor': 'Input:0', 'output_tensor': 'Softmax:0' } ],
          'labels': 'labels.txt',
          'output': { 'name': 'output_alias', 'softmax': false, 'top_k': 5 } }""");

    ImageStage image = (ImageStage) definition.pipeline().get(0);
    assertThat(image.shorterSide()).isEqualTo(256);
    assertThat(image.colorOrder()).isEqualTo(ImageStage.ColorOrder.BGR);
    assertThat(image.layout()).isEqualTo(ImageStage.Layout.NHWC);
    assertThat(image.itemShape()).containsExactly(224, 224, 3);
    AcceleratedStage accelerated = (AcceleratedStage) definition.pipeline().get(1);
    assertThat(accelerated.modelRef()).isEqualTo("resnet50");
    assertThat(accelerated.outputTensorDims()).containsExactly(1L, 1L, 2048L);
    assertThat(((OnnxStage) definition.pipeline().get(2)).inputTensor()).isEqualTo("Input:0");
    assertThat(definition.labels()).isEqualTo("labels.txt");
    assertThat(definition.output().topK()).isEqualTo(5);
  }

  @Test
  void parse_acceptsAcceleratedAsTheSameStageAsBrainwave() {
    ServiceDefinition definition = parse(
        "{'pipeline': [{'type': 'accelerated', 'model_ref': 'r', 'model_version': '1'}]}");
    assertThat(definition.pipeline().get(0)).isInstanceOf(AcceleratedStage.class);
  }

  @Test
  void parse_appliesDefaults() {
    ServiceDefinition definition = parse(
        "{'pipeline': [{'type': 'image', 'size': [224, 224]}, {'type': 'onnx', 'model_path': 'm.onnx'}]}");
    ImageStage image = definition.imageStage().orElseThrow();
    assertThat(image.resize()).isEqualTo(ImageStage.Resize.SHORTER_SIDE);
    assertThat(image.shorterSide()).isEqualTo(224);
    assertThat(image.layout()).isEqualTo(ImageStage.Layout.NCHW);
    assertThat(image.inputName()).isEqualTo("images");
    assertThat(definition.output().name()).isEqualTo("output_alias");
    assertThat(definition.output().softmax()).isFalse();
  }

  @Test
  void parse_readsBatchingWhenAskedForAndLeavesItOffOtherwise() {
    ServiceDefinition on = parse("{'pipeline': [{'type': 'onnx', 'model_path': 'm.onnx'}],"
        + " 'batching': {'max_batch': 16, 'max_queue_delay_us': 2000}}");
    assertThat(on.batching()).isEqualTo(new Batching(16, 2000L));
    assertThat(parse("{'pipeline': [{'type': 'onnx', 'model_path': 'm.onnx'}], 'batching': {}}").batching())
        .isEqualTo(new Batching(8, 0L));
    assertThat(parse("{'pipeline': [{'type': 'onnx', 'model_path': 'm.onnx'}]}").batching()).isNull();
  }

  @Test
  void parse_namesABatchingFieldOutOfRange() {
    assertThat(refusal("{'pipeline': [{'type': 'onnx', 'model_path': 'm.onnx'}], 'batching': {'max_batch': 1}}")
        .details()).containsExactly("batching.max_batch: must be at least 2 to batch anything, got 1");
    assertThat(refusal("{'pipeline': [{'type': 'onnx', 'model_path': 'm.onnx'}],"
        + " 'batching': {'max_queue_delay_us': -5}}").details())
        .containsExactly("batching.max_queue_delay_us: must be between 0 and 1000000, got -5");
  }

  @Test
  void parse_reportsInvalidJsonWithLineAndColumn() {
    InvalidPackageException e = refusal("{\n  'pipeline': [\n    {'type': 'onnx',, }\n  ]\n}");
    assertThat(e.getMessage()).contains("service_def.json: invalid JSON at line 3, column 21");
  }

  @Test
  void parse_namesAnUnknownStageType() {
    InvalidPackageException e = refusal("{'pipeline': [{'type': 'onnx', 'model_path': 'a.onnx'}, {'type': 'pytorch'}]}");
    assertThat(e.details()).containsExactly(
        "pipeline[1].type: unknown stage type 'pytorch' (known: image, onnx, brainwave, accelerated, tensorflow)");
  }

  @Test
  void parse_namesAMissingStageType() {
    InvalidPackageException e = refusal("{'pipeline': [{'model_path': 'a.onnx'}]}");
    assertThat(e.details().get(0)).startsWith("pipeline[0].type: required");
  }

  @Test
  void parse_readsTheWalkthroughDefinitionByteForByte() {
    ServiceDefinition definition = ServiceDefinitions.parse(
        TensorflowGraphs.WALKTHROUGH_DEFINITION.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(definition.amlRuntimeVersion()).isEqualTo("1.1");
    assertThat(definition.pipeline()).containsExactly(
        new TensorflowStage("input_trans.pb", "in_images:0", "transferred_input:0", null, "input_trans.pb"),
        new AcceleratedStage("resnet50", "1.1.6-rc", List.of(1L, 1L, 2048L), null, null, null),
        new TensorflowStage("resnet50_classifier.pb", "Input:0", "resnet_v1_50/logits/Softmax:0", null,
            "resnet50_classifier.pb"));
  }

  @Test
  void parse_refusesTwoAcceleratedStages() {
    InvalidPackageException e = refusal("""
        {'pipeline': [{'type': 'brainwave', 'model_ref': 'a', 'model_version': '1'},
                      {'type': 'accelerated', 'model_ref': 'b', 'model_version': '1'}]}""");
    assertThat(e.details()).containsExactly(
        "pipeline[1].type: at most one accelerated stage per pipeline, and pipeline[0] is one already");
  }

  @Test
  void parse_refusesAnImageStageThatIsNotFirst() {
    InvalidPackageException e = refusal(
        "{'pipeline': [{'type': 'onnx', 'model_path': 'a.onnx'}, {'type': 'image', 'size': [2, 2]}]}");
    assertThat(e.details()).containsExactly("pipeline[1].type: an image stage must be the first stage");
  }

  @Test
  void parse_namesAnUnknownField() {
    InvalidPackageException e = refusal("{'pipeline': [{'type': 'onnx', 'model_path': 'a.onnx', 'modelpath': 'b'}]}");
    assertThat(e.details().get(0)).startsWith("pipeline[0].modelpath: unknown field (known:").contains("model_path");
  }

  @Test
  void parse_namesAnInvalidEnumValue() {
    InvalidPackageException e = refusal(
        "{'pipeline': [{'type': 'image', 'size': [2, 2], 'resize': 'crop'}, {'type': 'onnx', 'model_path': 'a.onnx'}]}");
    assertThat(e.details()).containsExactly("pipeline[0].resize: 'crop' is not one of stretch, shorter_side");
  }

  @Test
  void parse_namesTheFieldARecordRefuses() {
    InvalidPackageException e = refusal(
        "{'pipeline': [{'type': 'image', 'size': [224]}, {'type': 'onnx', 'model_path': 'a.onnx'}]}");
    assertThat(e.details()).containsExactly(
        "pipeline[0].size: must be [height, width], two positive integers, got [224]");
  }

  @Test
  void parse_refusesAnEmptyPipeline() {
    assertThat(refusal("{'pipeline': []}").details()).containsExactly("pipeline: must hold at least one stage");
  }

  @Test
  void parse_refusesAMissingModelPath() {
    assertThat(refusal("{'pipeline': [{'type': 'onnx'}]}").details())
        .containsExactly("pipeline[0].model_path: required, the ONNX file's path inside the package");
  }

  @Test
  void parse_refusesAWrongValueType() {
    InvalidPackageException e = refusal(
        "{'pipeline': [{'type': 'image', 'size': [224, 'x']}, {'type': 'onnx', 'model_path': 'a.onnx'}]}");
    assertThat(e.details().get(0)).startsWith("pipeline[0].size[1]: 'x' is not a valid number");
  }
}
