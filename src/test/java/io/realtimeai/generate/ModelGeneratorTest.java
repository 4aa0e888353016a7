package io.realtimeai.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/** Fast checks on the tiny graphs; ResNet-50 is checked in {@link ResNet50GeneratorTest}. */
class ModelGeneratorTest {

  private static final EnumSet<ModelKind> TINY = EnumSet.range(ModelKind.TINY, ModelKind.TINY_VECTOR);

  @Test
  void sameSeed_givesByteIdenticalTinyModels() {
    for (ModelKind kind : TINY) {
      assertThat(ModelGenerator.generate(kind, 7).toByteArray())
          .as(kind.id())
          .isEqualTo(ModelGenerator.generate(kind, 7).toByteArray());
    }
  }

  @Test
  void differentSeed_givesDifferentWeights() {
    ModelProto a = ModelGenerator.generate(ModelKind.TINY, 1);
    ModelProto b = ModelGenerator.generate(ModelKind.TINY, 2);

    assertThat(a.getGraph().getNodeList()).isEqualTo(b.getGraph().getNodeList());
    assertThat(a.getGraph().getInitializer(0).getRawData()).isNotEqualTo(b.getGraph().getInitializer(0).getRawData());
  }

  @Test
  void tinyModels_areAFewKilobytes() {
    for (ModelKind kind : TINY) {
      assertThat(ModelGenerator.generate(kind, 0).getSerializedSize()).as(kind.id()).isLessThan(4096);
    }
  }

  @Test
  void tiny_countsGemmWeightAndBiasAsParameters() {
    GraphStats stats = GraphStats.of(ModelGenerator.generate(ModelKind.TINY, 0));

    assertThat(stats).isEqualTo(new GraphStats(3 * 10 + 10, 0, 3 * 10));
  }

  @Test
  void tinyUint8_castsAndTransposesToNchwBeforePooling() {
    ModelProto model = ModelGenerator.generate(ModelKind.TINY_UINT8, 0);

    assertThat(model.getGraph().getNodeList()).extracting(NodeProto::getOpType)
        .containsExactly("Cast", "Transpose", "GlobalAveragePool", "Flatten", "Gemm");
    assertThat(GraphStats.of(model).macs()).isEqualTo(30);
  }

  @Test
  void generate_refusesSpatialForKindsOtherThanResnet50() {
    assertThatThrownBy(() -> ModelGenerator.generate(ModelKind.TINY, 0, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("resnet50");
  }
}
