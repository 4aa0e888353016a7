package io.realtimeai.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.realtimeai.client.Prediction;
import io.realtimeai.error.NotFoundException;
import io.realtimeai.error.UnavailableException;
import io.realtimeai.error.UnprocessableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The batching of concurrent callers, against a Predict that answers each image with its own
 * number (a one-byte image {@code n} gets the single class {@code n}), and records every call.
 */
class PredictBatcherTest {
  // Long enough never to end while a test waits for a batch to fill: batches here close by filling up.
  private static final Duration NEVER = Duration.ofMinutes(10);

  private final List<List<Integer>> calls = Collections.synchronizedList(new ArrayList<>());
  private final ExecutorService callers = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    callers.shutdownNow();
  }

  /** Answers image {@code n} with class {@code n}; an image numbered 255 is one the model cannot take. */
  private PredictBatcher.Answered echo(String service, List<byte[]> images) {
    List<Integer> numbers = images.stream().map(image -> image[0] & 0xff).toList();
    calls.add(numbers);
    if (numbers.contains(255)) {
      throw new UnprocessableException("input 'images'[" + numbers.indexOf(255) + "]: not an image");
    }
    List<List<Prediction>> rows = numbers.stream().map(n -> List.of(new Prediction(n, "class-" + n, 1f))).toList();
    return new PredictBatcher.Answered(new ScoreOutputs.Answer(rows, null), service + ":1");
  }

  /** Submits image {@code n} for every n in {@code numbers}, all at once, each from its own thread. */
  private List<Future<PredictBatcher.Scored>> submit(PredictBatcher batcher, List<Integer> numbers) {
    CountDownLatch start = new CountDownLatch(1);
    List<Future<PredictBatcher.Scored>> answers = new ArrayList<>();
    for (int n : numbers) {
      Callable<PredictBatcher.Scored> call = () -> {
        start.await();
        return batcher.predict("svc", new byte[] {(byte) n});
      };
      answers.add(callers.submit(call));
    }
    start.countDown();
    return answers;
  }

  private static int label(Future<PredictBatcher.Scored> answer) throws Exception {
    return answer.get().answer().predictions().get(0).get(0).index();
  }

  @Test
  void concurrentCallers_shareOnePredictCallAndEachGetsItsOwnSlice() throws Exception {
    PredictBatcher batcher = new PredictBatcher(this::echo, NEVER, 8);

    List<Future<PredictBatcher.Scored>> answers = submit(batcher, List.of(0, 1, 2, 3, 4, 5, 6, 7));

    for (int n = 0; n < 8; n++) {
      assertThat(label(answers.get(n))).isEqualTo(n);
      assertThat(answers.get(n).get().answer().predictions()).hasSize(1);
      assertThat(answers.get(n).get().batchSize()).isEqualTo(8);
      assertThat(answers.get(n).get().modelId()).isEqualTo("svc:1");
    }
    assertThat(calls).hasSize(1);
    assertThat(batcher.stats()).isEqualTo(new PredictBatcher.Stats(1, 8, 8));
  }

  @Test
  void moreCallersThanAFullBatch_areSentInSeveralBatchesOfAtMostTheMaximum() throws Exception {
    PredictBatcher batcher = new PredictBatcher(this::echo, NEVER, 4);

    List<Future<PredictBatcher.Scored>> answers = submit(batcher, List.of(0, 1, 2, 3, 4, 5, 6, 7));

    for (int n = 0; n < 8; n++) {
      assertThat(label(answers.get(n))).isEqualTo(n);
    }
    assertThat(calls).hasSize(2).allSatisfy(call -> assertThat(call).hasSize(4));
  }

  @Test
  void aLoneCaller_isSentWhenTheWindowEnds() {
    PredictBatcher batcher = new PredictBatcher(this::echo, Duration.ofMillis(1), 16);

    PredictBatcher.Scored scored = batcher.predict("svc", new byte[] {42});

    assertThat(scored.answer().predictions().get(0).get(0).label()).isEqualTo("class-42");
    assertThat(scored.batchSize()).isEqualTo(1);
    assertThat(calls).containsExactly(List.of(42));
  }

  @Test
  void badImageInABatch_isIsolatedAndOnlyItFails() throws Exception {
    PredictBatcher batcher = new PredictBatcher(this::echo, NEVER, 4);

    List<Future<PredictBatcher.Scored>> answers = submit(batcher, List.of(1, 255, 3, 255));

    assertThat(label(answers.get(0))).isEqualTo(1);
    assertThat(label(answers.get(2))).isEqualTo(3);
    assertThat(answers.get(2).get().batchSize()).isEqualTo(1);
    for (int bad : List.of(1, 3)) {
      assertThatThrownBy(() -> answers.get(bad).get()).isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(UnprocessableException.class).hasMessageContaining("not an image");
    }
    assertThat(calls).hasSize(5);
    assertThat(calls.get(0)).hasSize(4);
    assertThat(calls.subList(1, 5)).allSatisfy(call -> assertThat(call).hasSize(1));
  }

  @Test
  void serviceThatCannotAnswer_failsEveryCallerOfTheBatchWithTheSameError() {
    UnavailableException down = new UnavailableException("service 'svc' has no ready replica");
    PredictBatcher batcher = new PredictBatcher((service, images) -> {
      calls.add(List.of(images.size()));
      throw down;
    }, NEVER, 3);

    List<Future<PredictBatcher.Scored>> answers = submit(batcher, List.of(1, 2, 3));

    assertThat(answers).allSatisfy(answer -> assertThatThrownBy(answer::get).cause().isSameAs(down));
    assertThat(calls).as("not retried image by image: no image is at fault").hasSize(1);
  }

  @Test
  void unknownService_isNotFoundForItsCaller() {
    PredictBatcher batcher = new PredictBatcher((service, images) -> {
      throw new NotFoundException("service '" + service + "' does not exist");
    }, Duration.ZERO, 16);

    assertThatThrownBy(() -> batcher.predict("ghost", new byte[] {1}))
        .isInstanceOf(NotFoundException.class).hasMessageContaining("'ghost'");
  }

  @Test
  void servicesAreBatchedApart() throws Exception {
    PredictBatcher batcher = new PredictBatcher(this::echo, NEVER, 2);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<PredictBatcher.Scored>> answers = new ArrayList<>();
    for (String service : List.of("a", "b", "a", "b")) {
      answers.add(callers.submit(() -> {
        start.await();
        return batcher.predict(service, new byte[] {7});
      }));
    }
    start.countDown();

    for (Future<PredictBatcher.Scored> answer : answers) {
      assertThat(answer.get().batchSize()).isEqualTo(2);
    }
    assertThat(answers.get(0).get().modelId()).isEqualTo("a:1");
    assertThat(answers.get(1).get().modelId()).isEqualTo("b:1");
    assertThat(calls).hasSize(2);
  }

  @Test
  void batchSizeOutsideTheRuntimesLimit_isRefused() {
    assertThatThrownBy(() -> new PredictBatcher(this::echo, NEVER, 65)).hasMessageContaining("1 to 64");
    assertThatThrownBy(() -> new PredictBatcher(this::echo, NEVER, 0)).hasMessageContaining("1 to 64");
  }
}
