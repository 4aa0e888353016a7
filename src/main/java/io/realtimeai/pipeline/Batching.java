package io.realtimeai.pipeline;

/**
 * Dynamic batching of concurrent calls on one replica (off unless a service definition asks for
 * it, like Triton's dynamic batcher): calls that arrive while the engine is busy wait and then
 * share one engine run. A call that finds the engine idle runs at once, so a lone caller pays
 * nothing for it.
 *
 * @param maxBatch the most rows (images or tensor rows) one engine run may carry
 * @param maxQueueDelayUs under load, how long the run waits for more calls to fill the batch, in
 *     microseconds (0: never waits; only calls already queued are batched)
 */
public record Batching(Integer maxBatch, Long maxQueueDelayUs) {
  /** The longest delay a definition may ask for: a second, far above any real-time budget. */
  public static final long MAX_QUEUE_DELAY_US = 1_000_000L;

  public Batching {
    maxBatch = maxBatch == null ? 8 : maxBatch;
    maxQueueDelayUs = maxQueueDelayUs == null ? 0L : maxQueueDelayUs;
    if (maxBatch < 2) {
      throw new IllegalArgumentException("max_batch: must be at least 2 to batch anything, got " + maxBatch);
    }
    if (maxQueueDelayUs < 0 || maxQueueDelayUs > MAX_QUEUE_DELAY_US) {
      throw new IllegalArgumentException("max_queue_delay_us: must be between 0 and " + MAX_QUEUE_DELAY_US
          + ", got " + maxQueueDelayUs);
    }
  }
}
