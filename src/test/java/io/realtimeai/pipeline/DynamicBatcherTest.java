package io.realtimeai.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.realtimeai.error.UnprocessableException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The batcher's scheduling on a stand-in engine that doubles its input (and can be held, or fail
 * on a negative value): who runs with whom, and that every caller gets its own rows back.
 */
class DynamicBatcherTest {
  private final ExecutorService callers = Executors.newCachedThreadPool();
  private final BufferPool buffers = new BufferPool();
  private final List<Long> runSizes = java.util.Collections.synchronizedList(new ArrayList<>());
  private volatile CountDownLatch hold = new CountDownLatch(0);

  @AfterEach
  void stop() {
    callers.shutdownNow();
  }

  /** Output row i = 2 × input row i; a row holding a negative value makes the whole run fail. */
  private final Function<Tensor, Map<String, Tensor>> engine = input -> {
    runSizes.add(input.shape()[0]);
    try {
      hold.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    float[] values = input.toFloats();
    for (int i = 0; i < values.length; i++) {
      if (values[i] < 0) {
        throw new UnprocessableException("negative value at " + i);
      }
      values[i] *= 2;
    }
    return Map.of("y", Tensor.ofFloats(input.shape(), values));
  };

  private static Tensor rows(float... firstColumn) {
    float[] values = new float[firstColumn.length * 2];
    for (int i = 0; i < firstColumn.length; i++) {
      values[2 * i] = firstColumn[i];
      values[2 * i + 1] = firstColumn[i] + 0.5f;
    }
    return Tensor.ofFloats(new long[] {firstColumn.length, 2}, values);
  }

  private CompletableFuture<float[]> call(DynamicBatcher batcher, float... firstColumn) {
    return CompletableFuture.supplyAsync(() -> batcher.run(rows(firstColumn)).get("y").toFloats(), callers);
  }

  private static void awaitQueued(DynamicBatcher batcher, int count) throws InterruptedException {
    for (int i = 0; i < 1000 && batcher.queued() < count; i++) {
      Thread.sleep(5);
    }
    assertThat(batcher.queued()).as("calls queued behind the held run").isEqualTo(count);
  }

  @Test
  void run_loneCallerRunsAtOnceOnItsOwnThread() {
    DynamicBatcher batcher = new DynamicBatcher(new Batching(8, 500_000L), engine, buffers);
    for (int i = 0; i < 5; i++) {
      assertThat(batcher.run(rows(i)).get("y").toFloats()).containsExactly(2f * i, 2f * i + 1);
    }
    assertThat(runSizes).containsExactly(1L, 1L, 1L, 1L, 1L);
    assertThat(batcher.runCounts()).containsExactly(5, 0);
  }

  @Test
  void run_callsQueuedBehindARunShareTheNextOneAndEachGetsItsOwnRows() throws Exception {
    DynamicBatcher batcher = new DynamicBatcher(new Batching(8, 0L), engine, buffers);
    hold = new CountDownLatch(1);
    CompletableFuture<float[]> first = call(batcher, 1);
    for (int i = 0; i < 1000 && runSizes.isEmpty(); i++) {
      Thread.sleep(5);
    }
    CompletableFuture<float[]> a = call(batcher, 10, 11);
    awaitQueued(batcher, 1);
    CompletableFuture<float[]> b = call(batcher, 20);
    awaitQueued(batcher, 2);
    CompletableFuture<float[]> c = call(batcher, 30, 31, 32);
    awaitQueued(batcher, 3);
    hold.countDown();

    assertThat(first.get(10, TimeUnit.SECONDS)).containsExactly(2, 3);
    assertThat(a.get(10, TimeUnit.SECONDS)).containsExactly(20, 21, 22, 23);
    assertThat(b.get(10, TimeUnit.SECONDS)).containsExactly(40, 41);
    assertThat(c.get(10, TimeUnit.SECONDS)).containsExactly(60, 61, 62, 63, 64, 65);
    assertThat(runSizes).containsExactly(1L, 6L);
    assertThat(batcher.runCounts()).containsExactly(2, 1);
  }

  @Test
  void run_neverPutsMoreThanMaxBatchRowsInOneRun() throws Exception {
    DynamicBatcher batcher = new DynamicBatcher(new Batching(3, 0L), engine, buffers);
    hold = new CountDownLatch(1);
    CompletableFuture<float[]> first = call(batcher, 0);
    for (int i = 0; i < 1000 && runSizes.isEmpty(); i++) {
      Thread.sleep(5);
    }
    List<CompletableFuture<float[]>> queued = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      queued.add(call(batcher, i, i));
      awaitQueued(batcher, i);
    }
    hold.countDown();
    first.get(10, TimeUnit.SECONDS);
    for (int i = 1; i <= 5; i++) {
      assertThat(queued.get(i - 1).get(10, TimeUnit.SECONDS)).containsExactly(2f * i, 2f * i + 1, 2f * i, 2f * i + 1);
    }
    // Two-row calls, at most three rows a run: no two of them ever share one.
    assertThat(runSizes).allMatch(rows -> rows <= 3);
    assertThat(runSizes.stream().mapToLong(Long::longValue).sum()).isEqualTo(11);
  }

  @Test
  void run_aBadInputInASharedRunFailsOnlyItsOwnCall() throws Exception {
    DynamicBatcher batcher = new DynamicBatcher(new Batching(8, 0L), engine, buffers);
    hold = new CountDownLatch(1);
    CompletableFuture<float[]> first = call(batcher, 1);
    for (int i = 0; i < 1000 && runSizes.isEmpty(); i++) {
      Thread.sleep(5);
    }
    CompletableFuture<float[]> good = call(batcher, 5);
    awaitQueued(batcher, 1);
    CompletableFuture<float[]> bad = call(batcher, -7);
    awaitQueued(batcher, 2);
    CompletableFuture<float[]> alsoGood = call(batcher, 6);
    awaitQueued(batcher, 3);
    hold.countDown();

    assertThat(first.get(10, TimeUnit.SECONDS)).containsExactly(2, 3);
    assertThat(good.get(10, TimeUnit.SECONDS)).containsExactly(10, 11);
    assertThat(alsoGood.get(10, TimeUnit.SECONDS)).containsExactly(12, 13);
    assertThatThrownBy(() -> bad.join()).hasCauseInstanceOf(UnprocessableException.class)
        .hasMessageContaining("negative value");
    // The shared run of three failed, then each of its calls ran alone.
    assertThat(runSizes).containsExactly(1L, 3L, 1L, 1L, 1L);
    // And the batcher still serves.
    assertThat(batcher.run(rows(4)).get("y").toFloats()).containsExactly(8, 9);
  }

  @Test
  void run_underLoadALeaderWaitsUpToTheDelayForTheCallersItLastSaw() throws Exception {
    DynamicBatcher batcher = new DynamicBatcher(new Batching(4, 1_000_000L), engine, buffers);
    hold = new CountDownLatch(1);
    CompletableFuture<float[]> first = call(batcher, 1);
    for (int i = 0; i < 1000 && runSizes.isEmpty(); i++) {
      Thread.sleep(5);
    }
    CompletableFuture<float[]> second = call(batcher, 2);
    awaitQueued(batcher, 1);
    hold.countDown();
    assertThat(first.get(10, TimeUnit.SECONDS)).containsExactly(2, 3);
    // Two calls were in play when that run ended, so the second, leading now, waits for another to join.
    Thread.sleep(200);
    assertThat(second).isNotDone();
    assertThat(runSizes).containsExactly(1L);
    CompletableFuture<float[]> third = call(batcher, 3);
    assertThat(second.get(10, TimeUnit.SECONDS)).containsExactly(4, 5);
    assertThat(third.get(10, TimeUnit.SECONDS)).containsExactly(6, 7);
    assertThat(runSizes).containsExactly(1L, 2L);
  }

  @Test
  void run_aLeaderWithoutCompanyRunsWithoutWaitingForTheDelay() throws Exception {
    DynamicBatcher batcher = new DynamicBatcher(new Batching(4, 1_000_000L), engine, buffers);
    // Nobody queued behind any run: each call leads alone and never waits, whatever the delay.
    CompletableFuture<float[]> lone = call(batcher, 1);
    assertThat(lone.get(2, TimeUnit.SECONDS)).containsExactly(2, 3);
    assertThat(call(batcher, 2).get(2, TimeUnit.SECONDS)).containsExactly(4, 5);
  }
}
