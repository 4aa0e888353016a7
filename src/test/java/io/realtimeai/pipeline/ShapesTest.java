package io.realtimeai.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Shape helpers: classifier outputs however an exporter shaped them. */
class ShapesTest {
  @Test
  void classes_answersNC1x1AsNC() {
    assertThat(Shapes.classes(new long[] {-1, 1000, 1, 1})).containsExactly(-1, 1000);
    assertThat(Shapes.classes(new long[] {4, 1, 1, 1000})).containsExactly(4, 1000);
  }

  @Test
  void classes_leavesShapesThatAreNotOneScorePerClassAsTheyAre() {
    assertThat(Shapes.classes(new long[] {-1, 1000})).containsExactly(-1, 1000);
    assertThat(Shapes.classes(new long[] {1, 21, 64, 64})).containsExactly(1, 21, 64, 64);
    assertThat(Shapes.classes(new long[] {-1, -1, 1, 1})).containsExactly(-1, -1, 1, 1);
    assertThat(Shapes.classes(new long[] {-1, 1, 1, 1})).containsExactly(-1, 1, 1, 1);
  }
}
