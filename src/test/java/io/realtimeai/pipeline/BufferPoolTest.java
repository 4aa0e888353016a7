package io.realtimeai.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BufferPoolTest {
  private static final int IMAGE = 602_112;

  private final BufferPool pool = new BufferPool();

  @Test
  void take_servesASmallerRequestFromTheBufferABiggerOneLeft_limitedToWhatWasAsked() {
    ByteBuffer batch = pool.take(16 * IMAGE);
    pool.give(batch);

    ByteBuffer one = pool.take(IMAGE);

    assertThat(one).isSameAs(batch);
    assertThat(one.position()).isZero();
    assertThat(one.limit()).isEqualTo(IMAGE);
    assertThat(one.isDirect()).isTrue();
    assertThat(one.order()).isEqualTo(ByteOrder.nativeOrder());
    assertThat(pool.allocated()).isEqualTo(1);
  }

  @Test
  void take_biggerThanAnyIdleBuffer_letsTheLargestSmallerOneGo() {
    pool.give(pool.take(IMAGE));
    pool.give(pool.take(4 * IMAGE));

    ByteBuffer first = pool.take(IMAGE);
    ByteBuffer second = pool.take(IMAGE);

    assertThat(pool.allocated()).as("the one-image buffer was let go for the four-image one").isEqualTo(3);
    assertThat(first.capacity()).isEqualTo(4 * IMAGE);
    assertThat(second.capacity()).isEqualTo(IMAGE);
  }

  @Test
  void take_neverServesAFewBytesFromAnImagesBuffer() {
    ByteBuffer image = pool.take(IMAGE);
    pool.give(image);

    ByteBuffer output = pool.take(4_000);

    assertThat(output).isNotSameAs(image);
    assertThat(output.capacity()).isEqualTo(4_000);
    assertThat(pool.take(IMAGE)).as("nor lets the image's buffer go for it").isSameAs(image);
  }

  @Test
  void batchesOfEverySize_fromTwoCallersAtOnce_stopAllocatingOnceTheLargestIsWarm() {
    // Two callers, each holding an input and an output buffer during a call, batches of 1 to 16.
    pool.give(pool.take(16 * IMAGE));
    pool.give(pool.take(16 * 4_000));
    Random random = new Random(7);
    long warm = -1;
    for (int call = 0; call < 2_000; call++) {
      List<ByteBuffer> held = new ArrayList<>();
      for (int caller = 0; caller < 2; caller++) {
        int images = 1 + random.nextInt(16);
        held.add(pool.take(images * IMAGE));
        held.add(pool.take(images * 4_000));
      }
      held.forEach(pool::give);
      if (call == 100) {
        warm = pool.allocated();
      }
    }
    assertThat(pool.allocated()).as("no allocation after the first hundred calls").isEqualTo(warm);
    assertThat(warm).as("about one buffer of each kind per caller").isLessThanOrEqualTo(2 + 2 * 2 * 2);
  }
}
