package io.realtimeai.scoring;

import io.realtimeai.client.PredictionClient;
import io.realtimeai.error.PayloadTooLargeException;
import io.realtimeai.error.UnavailableException;
import io.realtimeai.error.UnprocessableException;
import io.realtimeai.proto.serving.PredictResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scores the images that concurrent callers submit for one service in one Predict call. The first
 * caller opens a batch and waits up to the window for others to join (or until the batch is
 * full), then makes the call on its own thread and hands every caller its own slice of the answer.
 * A batch refused as a whole — INVALID_ARGUMENT names only the first bad image, RESOURCE_EXHAUSTED
 * none — is sent again image by image, so that only the bad images fail.
 */
public final class PredictBatcher {
  /** The most images the scoring runtime takes in one call. */
  public static final int RUNTIME_MAX_BATCH = 64;

  /** Makes one Predict call for a batch of one service's images. */
  @FunctionalInterface
  public interface Predict {
    /** The answer for {@code images}, in their order. */
    Answered predict(String service, List<byte[]> images);
  }

  /**
   * What one Predict call answered.
   *
   * @param answer the answer for the whole batch
   * @param modelId the model version that answered
   */
  public record Answered(ScoreOutputs.Answer answer, String modelId) {}

  /**
   * One caller's share of a batch.
   *
   * @param answer the answer for the caller's image alone
   * @param modelId the model version that answered
   * @param batchSize how many images the call that answered carried
   * @param runtimeMs how long that call took
   */
  public record Scored(ScoreOutputs.Answer answer, String modelId, int batchSize, double runtimeMs) {}

  /**
   * What the batcher has sent so far.
   *
   * @param calls Predict calls made, image-by-image retries included
   * @param images images sent in them
   * @param largestBatch the most images one call carried
   */
  public record Stats(long calls, long images, int largestBatch) {}

  private final Predict predict;
  private final long windowNanos;
  private final int maxBatch;
  private final Map<String, Lane> lanes = new ConcurrentHashMap<>();
  private final AtomicLong calls = new AtomicLong();
  private final AtomicLong images = new AtomicLong();
  private final AtomicInteger largestBatch = new AtomicInteger();

  /**
   * A batcher over {@code predict}.
   *
   * @param window how long the first image of a batch waits for others
   * @param maxBatch the most images per call, 1 to {@value #RUNTIME_MAX_BATCH}
   */
  public PredictBatcher(Predict predict, Duration window, int maxBatch) {
    if (window.isNegative()) {
      throw new IllegalArgumentException("the batching window must not be negative, got " + window);
    }
    if (maxBatch < 1 || maxBatch > RUNTIME_MAX_BATCH) {
      throw new IllegalArgumentException("a batch holds 1 to " + RUNTIME_MAX_BATCH + " images, got " + maxBatch);
    }
    this.predict = predict;
    this.windowNanos = window.toNanos();
    this.maxBatch = maxBatch;
  }

  /** Predict calls through {@code connections}, each image's top {@code top} classes labelled. */
  public static Predict through(ServiceConnections connections, int top) {
    return (service, batch) -> connections.call(service, connection -> {
      PredictionClient client = connection.client();
      PredictResponse response = client.predictImages(batch);
      return new Answered(ScoreOutputs.read(response, client.labels(), top, batch.size()), connection.service().modelId());
    });
  }

  /**
   * Scores {@code image} together with what other callers submit for {@code service} meanwhile;
   * blocks until its batch is answered.
   *
   * @throws UnprocessableException when the service cannot take this image
   * @throws io.realtimeai.error.NotFoundException when there is no such service
   * @throws UnavailableException when the service cannot answer now
   */
  public Scored predict(String service, byte[] image) {
    Lane lane = lanes.computeIfAbsent(service, name -> new Lane());
    Batch batch;
    CompletableFuture<Scored> answer;
    boolean leader;
    synchronized (lane) {
      leader = lane.open == null;
      if (leader) {
        lane.open = new Batch(service);
      }
      batch = lane.open;
      answer = batch.add(image);
      if (batch.images.size() >= maxBatch) {
        // Full: the next caller opens a new batch, and the leader need not wait out its window.
        lane.open = null;
        lane.notifyAll();
      }
    }
    if (leader) {
      lead(lane, batch);
    }
    return await(service, answer);
  }

  /** A snapshot of what was sent so far (tests check that batches formed). */
  public Stats stats() {
    return new Stats(calls.get(), images.get(), largestBatch.get());
  }

  private void lead(Lane lane, Batch batch) {
    boolean interrupted = false;
    synchronized (lane) {
      long deadline = System.nanoTime() + windowNanos;
      long left = windowNanos;
      while (lane.open == batch && left > 0) {
        try {
          TimeUnit.NANOSECONDS.timedWait(lane, left);
        } catch (InterruptedException e) {
          // The host is stopping: send what was collected anyway, for the callers already waiting on it.
          interrupted = true;
          break;
        }
        left = deadline - System.nanoTime();
      }
      if (lane.open == batch) {
        lane.open = null;
      }
    }
    try {
      send(batch);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void send(Batch batch) {
    int size = batch.images.size();
    try {
      Scored[] scored = call(batch.service, batch.images);
      for (int i = 0; i < size; i++) {
        batch.answers.get(i).complete(scored[i]);
      }
    } catch (UnprocessableException | PayloadTooLargeException e) {
      if (size == 1) {
        batch.answers.get(0).completeExceptionally(e);
      } else {
        oneByOne(batch);
      }
    } catch (RuntimeException | Error e) {
      batch.answers.forEach(answer -> answer.completeExceptionally(e));
      if (e instanceof Error error) {
        throw error;
      }
    }
  }

  // Each image alone: the bad ones fail with their own reason, the others are scored.
  private void oneByOne(Batch batch) {
    for (int i = 0; i < batch.images.size(); i++) {
      try {
        batch.answers.get(i).complete(call(batch.service, List.of(batch.images.get(i)))[0]);
      } catch (RuntimeException e) {
        batch.answers.get(i).completeExceptionally(e);
      }
    }
  }

  private Scored[] call(String service, List<byte[]> batch) {
    int size = batch.size();
    calls.incrementAndGet();
    images.addAndGet(size);
    largestBatch.accumulateAndGet(size, Math::max);
    long start = System.nanoTime();
    Answered answered = predict.predict(service, batch);
    double ms = (System.nanoTime() - start) / 1e6;
    Scored[] scored = new Scored[size];
    for (int i = 0; i < size; i++) {
      scored[i] = new Scored(answered.answer().of(i, size), answered.modelId(), size, ms);
    }
    return scored;
  }

  private static Scored await(String service, CompletableFuture<Scored> answer) {
    try {
      return answer.get();
    } catch (ExecutionException e) {
      // The failure keeps its type: callers tell a bad image from a service that cannot answer by it.
      if (e.getCause() instanceof RuntimeException failure) {
        throw failure;
      }
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnavailableException("interrupted while waiting for service '" + service + "' to answer", e);
    }
  }

  /** The batches of one service; its monitor guards {@link #open}. */
  private static final class Lane {
    private Batch open;
  }

  /** Images collected for one call, and where each caller's answer goes; changed only while open, under its lane's monitor. */
  private static final class Batch {
    private final String service;
    private final List<byte[]> images = new ArrayList<>();
    private final List<CompletableFuture<Scored>> answers = new ArrayList<>();

    Batch(String service) {
      this.service = service;
    }

    CompletableFuture<Scored> add(byte[] image) {
      CompletableFuture<Scored> answer = new CompletableFuture<>();
      images.add(image);
      answers.add(answer);
      return answer;
    }
  }
}
