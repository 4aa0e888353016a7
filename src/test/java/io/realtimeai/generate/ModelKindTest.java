package io.realtimeai.generate;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ModelKindTest {

  @Test
  void ids_areTheDocumentedNames() {
    assertThat(ModelKind.ids()).containsExactly(
        "resnet50", "resnet50-head", "resnet50-classifier",
        "tiny", "tiny-featurizer", "tiny-head", "tiny-multi", "tiny-fp16", "tiny-uint8", "tiny-vector");
  }

  @Test
  void byId_findsEveryKindByItsName() {
    for (ModelKind kind : ModelKind.values()) {
      assertThat(ModelKind.byId(kind.id())).contains(kind);
    }
  }

  @Test
  void byId_returnsEmptyForUnknownName() {
    assertThat(ModelKind.byId("resnet51")).isEmpty();
    assertThat(ModelKind.byId("RESNET50")).isEmpty();
  }
}
