package io.realtimeai.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto.Dimension;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class OnnxGraphBuilderTest {

  @Test
  void build_declaresIrVersion8AndOpset17() {
    ModelProto model = new OnnxGraphBuilder("g").build();

    assertThat(model.getIrVersion()).isEqualTo(8);
    assertThat(model.getOpsetImportList()).singleElement()
        .satisfies(opset -> assertThat(opset.getDomain()).isEmpty())
        .satisfies(opset -> assertThat(opset.getVersion()).isEqualTo(17));
  }

  @Test
  void input_putsSymbolicBatchDimensionFirst() {
    ModelProto model = new OnnxGraphBuilder("g").input("images", TensorProto.DataType.UINT8, 224, 224, 3).build();

    var input = model.getGraph().getInput(0);
    assertThat(input.getType().getTensorType().getElemType()).isEqualTo(TensorProto.DataType.UINT8_VALUE);
    assertThat(input.getType().getTensorType().getShape().getDimList())
        .extracting(d -> d.hasDimParam() ? d.getDimParam() : (Object) d.getDimValue())
        .containsExactly("batch", 224L, 224L, 3L);
  }

  @Test
  void initializer_storesFloatsAsLittleEndianRawData() {
    OnnxGraphBuilder graph = new OnnxGraphBuilder("g");
    graph.initializer("w", new float[] {1f, -2.5f, 3f, 0f, 5f, 6f}, 2, 3);

    TensorProto w = graph.build().getGraph().getInitializer(0);
    assertThat(w.getDimsList()).containsExactly(2L, 3L);
    assertThat(w.getDataType()).isEqualTo(TensorProto.DataType.FLOAT_VALUE);
    ByteBuffer raw = w.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    assertThat(raw.getFloat(0)).isEqualTo(1f);
    assertThat(raw.getFloat(4)).isEqualTo(-2.5f);
    assertThat(raw.remaining()).isEqualTo(24);
  }

  @Test
  void initializer_rejectsValuesThatDoNotFillTheShape() {
    assertThatThrownBy(() -> new OnnxGraphBuilder("g").initializer("w", new float[5], 2, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("w");
  }

  @Test
  void node_isNamedAfterItsOutputAndKeepsItsAttributes() {
    OnnxGraphBuilder graph = new OnnxGraphBuilder("g");
    String y = graph.node("Transpose", List.of("x"), "y", OnnxGraphBuilder.intsAttribute("perm", 0, 3, 1, 2));

    var node = graph.build().getGraph().getNode(0);
    assertThat(y).isEqualTo("y");
    assertThat(node.getName()).isEqualTo("y");
    assertThat(node.getAttribute(0).getIntsList()).containsExactly(0L, 3L, 1L, 2L);
  }
}
