package io.realtimeai.pipeline;

/**
 * Where one call's time went inside the pipeline: decoding and preprocessing its images, waiting
 * for the engine (a shared batch forming, or another call's run), and the engine run that served
 * it. Written by the pipeline on the calling thread once the call's answer is back, read by the
 * caller afterwards; one instance per call, never shared.
 */
public final class CallTimings {
  private long preprocessNanos;
  private long queueNanos;
  private long inferenceNanos;
  private long batchRows;
  private boolean ran;

  /** Decoding and preprocessing the call's images on its own thread. */
  public long preprocessNanos() {
    return preprocessNanos;
  }

  /** From handing the input to the engine to the start of the engine run that served it. */
  public long queueNanos() {
    return queueNanos;
  }

  /** The engine run (every model stage) that served the call, shared with the calls batched beside it. */
  public long inferenceNanos() {
    return inferenceNanos;
  }

  /** Rows (images) in the engine run that served the call: its own, plus those of calls batched with it. */
  public long batchRows() {
    return batchRows;
  }

  /** True once an engine run served the call; false for a call refused before it reached the engine. */
  public boolean ran() {
    return ran;
  }

  void preprocessed(long nanos) {
    preprocessNanos += nanos;
  }

  void engine(long queued, long inference, long rows) {
    queueNanos += queued;
    inferenceNanos += inference;
    batchRows = Math.max(batchRows, rows);
    ran = true;
  }
}
