package io.realtimeai.pipeline;

import static io.realtimeai.testing.ModelFolders.definition;
import static io.realtimeai.testing.ModelFolders.model;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import io.realtimeai.error.BadRequestException;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.generate.OnnxGraphBuilder;
import io.realtimeai.packaging.ModelPackage;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestImages;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The executor on real ONNX Runtime sessions: element types, reshapes and the catalog between stages. */
@Tag("integration")
class PipelineTest {
  private static final String IMAGE = ModelFolders.IMAGE_STAGE.replace('"', '\'');

  @TempDir Path dir;

  private Pipeline load(Path folder, AcceleratedCatalog catalog) throws IOException {
    ModelPackage modelPackage = ModelPackage.openDirectory(folder);
    return Pipeline.load(modelPackage.root(), modelPackage.definition(), catalog, PipelineOptions.serving().withIntraOpThreads(1));
  }

  private static float[] scores(Map<String, Tensor> outputs) {
    return outputs.get("output_alias").toFloats();
  }

  @Test
  void imageStageFeedsAFloat16Model() throws IOException {
    model(dir, ModelKind.TINY_FP16, "fp16.onnx");
    definition(dir, "{ 'pipeline': [" + IMAGE + ", { 'type': 'onnx', 'model_path': 'fp16.onnx' } ] }");
    Path reference = dir.resolve("f32");
    model(reference, ModelKind.TINY, "f32.onnx");
    definition(reference, "{ 'pipeline': [" + IMAGE + ", { 'type': 'onnx', 'model_path': 'f32.onnx' } ] }");

    try (Pipeline half = load(dir, AcceleratedCatalog.none()); Pipeline full = load(reference, AcceleratedCatalog.none())) {
      assertThat(half.inputType()).isEqualTo(ElementType.FLOAT16);
      byte[] jpeg = TestImages.jpeg();
      float[] fromHalf = scores(half.predictImages(List.of(jpeg)));
      float[] fromFull = scores(full.predictImages(List.of(jpeg)));
      for (int i = 0; i < fromFull.length; i++) {
        assertThat(fromHalf[i]).as("score %d through float16", i).isCloseTo(fromFull[i], Offset.offset(0.05f));
      }
    }
  }

  @Test
  void imageStageFeedsAUint8NhwcModel() throws IOException {
    model(dir, ModelKind.TINY_UINT8, "u8.onnx");
    definition(dir, "{ 'pipeline': [ { 'type': 'image', 'size': [224, 224], 'layout': 'NHWC' },"
        + " { 'type': 'onnx', 'model_path': 'u8.onnx' } ] }");
    try (Pipeline pipeline = load(dir, AcceleratedCatalog.none())) {
      assertThat(pipeline.inputType()).isEqualTo(ElementType.UINT8);
      Tensor out = pipeline.predictImages(List.of(TestImages.jpeg(), TestImages.jpeg())).get("output_alias");
      assertThat(out.shape()).containsExactly(2, 10);
    }
  }

  @Test
  void acceleratedFeaturizerFromTheCatalogFeedsTheHead() throws IOException {
    model(dir.resolve("catalog/tiny/1"), ModelKind.TINY_FEATURIZER, "model.onnx");
    Path folder = dir.resolve("model");
    model(folder, ModelKind.TINY_HEAD, "head.onnx");
    definition(folder, "{ 'pipeline': [" + IMAGE + ", { 'type': 'brainwave', 'model_ref': 'tiny', 'model_version': '1',"
        + " 'output_tensor_dims': [1, 8] }, { 'type': 'onnx', 'model_path': 'head.onnx' } ] }");
    try (Pipeline pipeline = load(folder, new AcceleratedCatalog(dir.resolve("catalog")))) {
      Tensor out = pipeline.predictImages(List.of(TestImages.jpeg(), TestImages.picture("png", 50, 80))).get("output_alias");
      assertThat(out.shape()).containsExactly(2, 10);
      float[] probabilities = out.toFloats();
      float first = 0;
      for (int i = 0; i < 10; i++) {
        first += probabilities[i];
      }
      assertThat(first).isCloseTo(1f, Offset.offset(1e-4f));
    }
  }

  @Test
  void convertsElementTypesAndReshapesBetweenStages() throws IOException {
    model(dir, ModelKind.TINY_FEATURIZER, "featurizer.onnx");
    // A head taking float16 [batch, 8, 1, 1]: the float32 [batch, 8] features must be converted and reshaped.
    OnnxGraphBuilder head = new OnnxGraphBuilder("fp16-spatial-head").input("features", DataType.FLOAT16, 8, 1, 1);
    head.node("Cast", List.of("features"), "as_float", OnnxGraphBuilder.intAttribute("to", DataType.FLOAT_VALUE));
    head.node("Flatten", List.of("as_float"), "flat");
    head.node("Identity", List.of("flat"), "features_out");
    head.output("features_out", DataType.FLOAT, 8);
    OnnxGraphBuilder.write(head.build(), dir.resolve("head.onnx"));
    definition(dir, "{ 'pipeline': [" + IMAGE + ", { 'type': 'onnx', 'model_path': 'featurizer.onnx' },"
        + " { 'type': 'onnx', 'model_path': 'head.onnx' } ] }");
    Path reference = dir.resolve("reference");
    model(reference, ModelKind.TINY_FEATURIZER, "featurizer.onnx");
    definition(reference, "{ 'pipeline': [" + IMAGE + ", { 'type': 'onnx', 'model_path': 'featurizer.onnx' } ] }");

    try (Pipeline chained = load(dir, AcceleratedCatalog.none()); Pipeline alone = load(reference, AcceleratedCatalog.none())) {
      byte[] jpeg = TestImages.jpeg();
      float[] through = scores(chained.predictImages(List.of(jpeg)));
      float[] direct = scores(alone.predictImages(List.of(jpeg)));
      assertThat(through).hasSize(8);
      for (int i = 0; i < 8; i++) {
        assertThat(through[i]).isCloseTo(direct[i], Offset.offset(Math.abs(direct[i]) * 1e-3f + 1e-3f));
      }
    }
  }

  @Test
  void refusesABatchAboveTheLimit() throws IOException {
    ModelFolders.tinyClassifier(dir);
    try (Pipeline pipeline = load(dir, AcceleratedCatalog.none())) {
      List<byte[]> tooMany = java.util.Collections.nCopies(65, TestImages.jpeg());
      assertThatThrownBy(() -> pipeline.predictImages(tooMany)).isInstanceOf(BadRequestException.class)
          .hasMessage("input 'images': 65 items in one call, above the limit of 64");
    }
  }

  @Test
  void softmaxTurnsScoresIntoProbabilities() {
    Tensor probabilities = Pipeline.softmax(Tensor.ofFloats(new long[] {2, 3}, new float[] {1, 2, 3, 1000, 1000, 1000}));
    assertThat(probabilities.toFloats()).containsExactly(
        new float[] {0.09003057f, 0.24472847f, 0.66524096f, 1 / 3f, 1 / 3f, 1 / 3f}, Offset.offset(1e-6f));
  }
}
