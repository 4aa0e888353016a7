package io.realtimeai.pipeline.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.realtimeai.error.UnprocessableException;
import io.realtimeai.pipeline.ElementType;
import io.realtimeai.pipeline.ImageStage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Fuzz target: the image decoder and preprocessor on any bytes. An image that cannot be used must
 * be an {@link UnprocessableException} with a reason; anything else thrown is a finding. Seeds in
 * {@code src/test/resources/io/realtimeai/pipeline/image/ImageFuzzTestInputs/preprocess/}.
 */
class ImageFuzzTest {
  // A small output keeps each execution cheap; the 1 MP cap makes huge declared sizes fail before decoding.
  private static final ImagePreprocessor PREPROCESSOR = new ImagePreprocessor(
      new ImageStage(List.of(16, 16), ImageStage.Resize.SHORTER_SIDE, null, ImageStage.ColorOrder.BGR,
          null, null, null, ImageStage.Layout.NCHW, null), ElementType.FLOAT32, 1_000_000);
  private static final ByteBuffer DEST = ByteBuffer.allocate(PREPROCESSOR.itemBytes()).order(ByteOrder.LITTLE_ENDIAN);

  @FuzzTest(maxDuration = "10m")
  void preprocess(byte[] encoded) {
    DEST.clear();
    try {
      PREPROCESSOR.preprocess(encoded, DEST);
      assertThat(DEST.position()).isEqualTo(PREPROCESSOR.itemBytes());
    } catch (UnprocessableException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
  }
}
