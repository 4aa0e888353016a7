package io.realtimeai.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import io.realtimeai.generate.ModelGenerator;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.generate.OnnxGraphBuilder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a catalog model must be to serve as a featurizer, checked on real ONNX Runtime sessions. */
@Tag("integration")
class ModelInspectorTest {
  @TempDir Path dir;

  private Path write(OnnxGraphBuilder graph) throws Exception {
    Path file = dir.resolve("model.onnx");
    OnnxGraphBuilder.write(graph.build(), file);
    return file;
  }

  @Test
  void inspect_readsElementTypesAndShapesWithTheBatchAsMinusOne() throws Exception {
    Path file = dir.resolve("u8.onnx");
    OnnxGraphBuilder.write(ModelGenerator.generate(ModelKind.TINY_UINT8, 1), file);

    ModelInspector.Inspection inspection = ModelInspector.inspect(file, ModelNotes.NONE);

    assertThat(inspection.problems()).isEmpty();
    assertThat(inspection.inputs()).containsExactly(new TensorSpec("images", "uint8", List.of(-1L, 224L, 224L, 3L)));
    assertThat(inspection.outputs()).containsExactly(new TensorSpec("scores", "float32", List.of(-1L, 10L)));
  }

  @Test
  void inspect_refusesAModelWithTwoInputs() throws Exception {
    OnnxGraphBuilder graph = new OnnxGraphBuilder("two-inputs")
        .input("a", DataType.FLOAT, 4).input("b", DataType.FLOAT, 4);
    graph.node("Add", List.of("a", "b"), "sum");
    graph.output("sum", DataType.FLOAT, 4);

    ModelInspector.Inspection inspection = ModelInspector.inspect(write(graph), ModelNotes.NONE);

    assertThat(inspection.problems()).containsExactly(
        "model.onnx: has 2 inputs ['a', 'b']; an accelerated stage feeds exactly one");
    assertThat(inspection.inputs()).extracting(TensorSpec::name).containsExactly("a", "b");
  }

  @Test
  void inspect_refusesAnInputNoStageCanFeed() throws Exception {
    OnnxGraphBuilder graph = new OnnxGraphBuilder("strings").input("text", DataType.STRING, 1);
    graph.node("Identity", List.of("text"), "same");
    graph.output("same", DataType.STRING, 1);

    ModelInspector.Inspection inspection = ModelInspector.inspect(write(graph), ModelNotes.NONE);

    assertThat(inspection.problems()).singleElement().asString()
        .startsWith("model.onnx: input 'text' is string; an accelerated stage is fed one of [float32, ");
  }

  @Test
  void inspect_matchesModelJsonNamesWithOrWithoutTheTensorflowSuffix() throws Exception {
    Path file = dir.resolve("featurizer.onnx");
    OnnxGraphBuilder.write(ModelGenerator.generate(ModelKind.TINY_FEATURIZER, 1), file);

    ModelInspector.Inspection named = ModelInspector.inspect(file, new ModelNotes(null, null, "images:0", "features"));
    ModelInspector.Inspection misnamed = ModelInspector.inspect(file, new ModelNotes(null, null, "input", null));

    assertThat(named.problems()).isEmpty();
    assertThat(misnamed.problems()).containsExactly(
        "model.json: input_tensor 'input' is not an input of the model ['images']");
  }

  @Test
  void inspect_refusesAnEmptyFile() throws Exception {
    Path file = dir.resolve("empty.onnx");
    java.nio.file.Files.write(file, new byte[0]);

    ModelInspector.Inspection inspection = ModelInspector.inspect(file, ModelNotes.NONE);

    assertThat(inspection.problems()).singleElement().asString()
        .startsWith("model.onnx: not a loadable ONNX model").doesNotContain(dir.toString());
  }
}
