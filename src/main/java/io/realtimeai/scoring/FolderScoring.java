package io.realtimeai.scoring;

import com.azure.core.util.Context;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.realtimeai.error.NotFoundException;
import io.realtimeai.error.PayloadTooLargeException;
import io.realtimeai.error.RealtimeAiException;
import io.realtimeai.error.UnavailableException;
import io.realtimeai.error.UnprocessableException;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.telemetry.TraceContext;
import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drop-a-folder scoring (DESIGN §1): an image dropped at {@code images/{service}/{path}} becomes a
 * {@link ScoringJob} on the {@code scoring} queue, and each job ends in exactly one result per
 * image version — {@code results/{service}/{path}.json}, its row and its event, through
 * {@link ResultStore#record}. An image the service cannot take, or one dropped under a service
 * that does not exist, gets a {@code Failed} result at once; a service that cannot answer now
 * fails the job, so that the queue retries it and in the end parks it in {@code scoring-poison}.
 */
public final class FolderScoring {
  /** The labelled classes kept per image: Brainwave's {@code top_k} default. */
  public static final int TOP = 5;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Storage storage;
  private final ResultStore results;
  private final PredictBatcher batcher;
  private final Clock clock;
  private final AtomicLong attempts = new AtomicLong();

  /**
   * What became of a job.
   *
   * @param kind what happened
   * @param detail why, in words, for the log
   */
  public record Outcome(Kind kind, String detail) {
    /** The kinds of outcome. */
    public enum Kind {
      /** Scored: a result with predictions. */
      SCORED,
      /** Could not be scored: a result with the error. */
      FAILED,
      /** This version has its result already (the job was delivered twice). */
      ALREADY_SCORED,
      /** The image was overwritten or deleted since the job was sent: the job is dropped. */
      SUPERSEDED
    }
  }

  public FolderScoring(Storage storage, ResultStore results, PredictBatcher batcher, Clock clock) {
    this.storage = storage;
    this.results = results;
    this.batcher = batcher;
    this.clock = clock;
  }

  /** Puts {@code job} on the {@code scoring} queue (base64 on the wire, as the Functions host reads it). */
  public void enqueue(ScoringJob job) {
    try {
      storage.queue(StorageLayout.SCORING_QUEUE).sendMessage(JSON.writeValueAsString(job));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the scoring job of " + job.image(), e);
    }
  }

  /**
   * Scores the image version {@code job} names and records its result. A version keeps the
   * result it has (a job delivered twice is scored again but records nothing new: rare enough that
   * the common job is spared a lookup; while the service cannot answer, a job whose version has
   * its result is settled rather than retried), and a version overwritten or deleted since is
   * dropped.
   *
   * @throws UnavailableException when the service cannot answer now and the version has no
   *     result: the job is to be retried
   */
  public Outcome score(ScoringJob job) {
    long start = System.nanoTime();
    attempts.incrementAndGet();
    ScoreResult result;
    try {
      // A small image came with its job, read by the blob trigger with If-Match on this very version.
      Optional<byte[]> image = job.inlineImage().or(() -> read(job));
      if (image.isEmpty()) {
        return superseded(job);
      }
      PredictBatcher.Scored scored = batcher.predict(job.service(), image.get());
      result = new ScoreResult(id(job), job.service(), scored.modelId(), job.path(), job.etag(), clock.instant(), "Scored",
          scored.answer().predictions(), scored.answer().outputs(), null,
          new ScoreResult.Timings(millisSince(start), scored.runtimeMs()), newTraceId(), null);
    } catch (UnprocessableException | PayloadTooLargeException | NotFoundException e) {
      // Retrying cannot help a corrupt image or a service that does not exist: the error is the result.
      result = failed(job, e, start);
    } catch (UnavailableException e) {
      // A second delivery of a job that was recorded whole (a host stopped before deleting its message, or before
      // announcing it: settled() announces it) needs no retry; one whose run stopped before its document does.
      if (results.settled(job.service(), job.path(), job.etag())) {
        return new Outcome(Outcome.Kind.ALREADY_SCORED, job.image() + " version " + job.etag() + " has its result already");
      }
      throw e;
    }
    // The image may have been overwritten while it was scored: a stale result must not replace its successor's.
    Optional<ScoreResult> stands = results.record(result, () -> current(job));
    if (stands.isEmpty()) {
      return superseded(job);
    }
    ScoreResult recorded = stands.get();
    return recorded.scored()
        ? new Outcome(Outcome.Kind.SCORED, job.image() + " scored by " + recorded.modelId())
        : new Outcome(Outcome.Kind.FAILED, job.image() + " could not be scored: " + recorded.error().message());
  }

  /** Jobs taken so far, retries included (tests check that a job is not retried). */
  long attempts() {
    return attempts.get();
  }

  /** The batcher, for tests and the benchmark, which look at the batches formed. */
  public PredictBatcher batcher() {
    return batcher;
  }

  private ScoreResult failed(ScoringJob job, RealtimeAiException e, long start) {
    return new ScoreResult(id(job), job.service(), null, job.path(), job.etag(), clock.instant(), "Failed", null, null,
        new ScoreResult.Failure(e.code(), e.getMessage()), new ScoreResult.Timings(millisSince(start), 0),
        newTraceId(), null);
  }

  // A job starts its own trace: it comes from a blob, not from a caller that could have sent one.
  private static String newTraceId() {
    return TraceContext.newTrace().traceId();
  }

  /**
   * Exactly the version the job names (a 412 or 404 means it was overwritten or deleted since), and
   * at most one byte more than an image may have: enough to know that one is too large without
   * holding all of it.
   *
   * @throws PayloadTooLargeException when the image is above {@link ImageRequests#MAX_BYTES}
   */
  private Optional<byte[]> read(ScoringJob job) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      blob(job).downloadStreamWithResponse(bytes, new BlobRange(0, ImageRequests.MAX_BYTES + 1), null,
          new BlobRequestConditions().setIfMatch(job.etag()), false, null, Context.NONE);
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 404 || e.getStatusCode() == 412) {
        return Optional.empty();
      }
      if (e.getStatusCode() == 416) {
        // An empty blob has no byte 0 to start a range at: it is an empty image, which the runtime refuses by name.
        return Optional.of(new byte[0]);
      }
      throw e;
    }
    if (bytes.size() > ImageRequests.MAX_BYTES) {
      throw new PayloadTooLargeException(job.image() + " is larger than " + (ImageRequests.MAX_BYTES >> 20)
          + " MiB, the most a scoring service takes in one image");
    }
    return Optional.of(bytes.toByteArray());
  }

  private boolean current(ScoringJob job) {
    try {
      blob(job).getPropertiesWithResponse(new BlobRequestConditions().setIfMatch(job.etag()), null, Context.NONE);
      return true;
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 404 || e.getStatusCode() == 412) {
        return false;
      }
      throw e;
    }
  }

  private BlobClient blob(ScoringJob job) {
    return storage.container(StorageLayout.IMAGES).getBlobClient(job.service() + "/" + job.path());
  }

  private static Outcome superseded(ScoringJob job) {
    return new Outcome(Outcome.Kind.SUPERSEDED, job.image() + " is no longer version " + job.etag()
        + " (overwritten or deleted): the job is dropped; a newer version has its own job");
  }

  private static String id(ScoringJob job) {
    return ResultStore.resultId(job.service(), job.path(), job.etag());
  }

  private static double millisSince(long start) {
    return (System.nanoTime() - start) / 1e6;
  }
}
