package io.realtimeai.pipeline;

/**
 * How a pipeline's models are loaded and what inputs it accepts.
 *
 * @param accelerator the execution provider to use
 * @param intraOpThreads ONNX Runtime intra-op threads per session; 0 chooses from the cores this process may use ({@link EngineThreads})
 * @param maxImagePixels images whose header claims more pixels are refused before decoding
 * @param maxBatch the most images or tensor rows one call may carry
 * @param optimize full graph optimisation (serving) rather than basic (checking a package)
 */
public record PipelineOptions(
    Accelerator accelerator, int intraOpThreads, long maxImagePixels, int maxBatch, boolean optimize) {
  /** Serving defaults: best accelerator, threads from the machine, 40 MP, batches up to 64, full optimisation. */
  public static PipelineOptions serving() {
    return new PipelineOptions(Accelerator.AUTO, 0, 40_000_000L, 64, true);
  }

  /** Checking a package: the CPU and basic optimisation, so that loading is quick. */
  public static PipelineOptions validation() {
    return new PipelineOptions(Accelerator.CPU, 1, 40_000_000L, 64, false);
  }

  public PipelineOptions {
    if (accelerator == null) {
      accelerator = Accelerator.AUTO;
    }
    if (intraOpThreads < 0 || maxImagePixels < 1 || maxBatch < 1) {
      throw new IllegalArgumentException("pipeline options must be positive");
    }
  }

  /** These options with another intra-op thread count. */
  public PipelineOptions withIntraOpThreads(int threads) {
    return new PipelineOptions(accelerator, threads, maxImagePixels, maxBatch, optimize);
  }

  /** These options with another accelerator. */
  public PipelineOptions withAccelerator(Accelerator value) {
    return new PipelineOptions(value, intraOpThreads, maxImagePixels, maxBatch, optimize);
  }

  /** These options with another pixel budget. */
  public PipelineOptions withMaxImagePixels(long pixels) {
    return new PipelineOptions(accelerator, intraOpThreads, pixels, maxBatch, optimize);
  }
}
