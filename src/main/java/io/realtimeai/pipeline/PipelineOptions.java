package io.realtimeai.pipeline;

/**
 * How a pipeline's models are loaded and what inputs it accepts.
 *
 * @param accelerator the execution provider to use
 * @param intraOpThreads ONNX Runtime intra-op threads per session; 0 chooses from the cores this process may use ({@link EngineThreads})
 * @param maxImagePixels images whose header claims more pixels are refused before decoding
 * @param maxBatch the most images or tensor rows one call may carry
 * @param optimize full graph optimisation (serving) rather than basic (checking a package)
 * @param warmUpBatch the largest batch the warm-up runs, after its runs of one: the engine's memory is
 *     then at the size the calls will need before the first of them rather than growing under them;
 *     1 warms up with single items only
 */
public record PipelineOptions(
    Accelerator accelerator, int intraOpThreads, long maxImagePixels, int maxBatch, boolean optimize, int warmUpBatch) {
  /**
   * The largest batch a runtime warms up with by default: the most images the app's folder scoring
   * sends in one call (its {@code SCORING_MAX_BATCH}, 16 unless changed).
   */
  public static final int DEFAULT_WARM_UP_BATCH = 16;

  /**
   * Serving defaults: best accelerator, threads from the machine, 40 MP, batches up to 64, full
   * optimisation, warmed up at {@value #DEFAULT_WARM_UP_BATCH} items.
   */
  public static PipelineOptions serving() {
    return new PipelineOptions(Accelerator.AUTO, 0, 40_000_000L, 64, true, DEFAULT_WARM_UP_BATCH);
  }

  /** Checking a package: the CPU and basic optimisation, so that loading is quick. */
  public static PipelineOptions validation() {
    return new PipelineOptions(Accelerator.CPU, 1, 40_000_000L, 64, false, 1);
  }

  public PipelineOptions {
    if (accelerator == null) {
      accelerator = Accelerator.AUTO;
    }
    if (intraOpThreads < 0 || maxImagePixels < 1 || maxBatch < 1) {
      throw new IllegalArgumentException("pipeline options must be positive");
    }
    if (warmUpBatch < 1 || warmUpBatch > maxBatch) {
      throw new IllegalArgumentException("the warm-up batch must be between 1 and " + maxBatch
          + " (the most items one call may carry), got " + warmUpBatch);
    }
  }

  /** These options with another intra-op thread count. */
  public PipelineOptions withIntraOpThreads(int threads) {
    return new PipelineOptions(accelerator, threads, maxImagePixels, maxBatch, optimize, warmUpBatch);
  }

  /** These options with another accelerator. */
  public PipelineOptions withAccelerator(Accelerator value) {
    return new PipelineOptions(value, intraOpThreads, maxImagePixels, maxBatch, optimize, warmUpBatch);
  }

  /** These options warming up with batches of up to {@code batch} items. */
  public PipelineOptions withWarmUpBatch(int batch) {
    return new PipelineOptions(accelerator, intraOpThreads, maxImagePixels, maxBatch, optimize, batch);
  }

  /** These options with another pixel budget. */
  public PipelineOptions withMaxImagePixels(long pixels) {
    return new PipelineOptions(accelerator, intraOpThreads, pixels, maxBatch, optimize, warmUpBatch);
  }
}
