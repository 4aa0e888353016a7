package io.realtimeai.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.realtimeai.pipeline.Pipeline;
import io.realtimeai.pipeline.PipelineOptions;
import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The floor: {@code OrtSession.run} on a ready tensor, with the session options the pipeline uses
 * ({@link Pipeline#sessionOptions}), at the default intra-op thread count and at each explicit
 * count from 1 to the cores usable, all in interleaved rounds.
 */
public final class EngineBench {
  /**
   * What the engine did.
   *
   * @param atDefault the default thread count's series: the floor every ratio is taken against
   * @param byThreads each explicit count's series
   * @param best the explicit count with the lowest p50
   * @param batchedImagesPerSecond images a second at the default thread count with {@link #BATCH} images per run:
   *     the most any batching in the runtime can reach on this machine
   */
  public record Result(LatencyStats atDefault, Map<Integer, LatencyStats> byThreads, int best, double batchedImagesPerSecond) {
    /** The default's p50 over the best count's. */
    public double defaultOverBest() {
      return atDefault.percentileMillis(0.5) / byThreads.get(best).percentileMillis(0.5);
    }
  }

  /** The batch of the engine's own throughput ceiling: the largest the bench's batching service forms. */
  public static final int BATCH = 16;

  private final PrintStream out;

  public EngineBench(PrintStream out) {
    this.out = out;
  }

  /** Measures {@code model} at the default and at 1..{@code maxThreads} intra-op threads. */
  public Result run(Path model, int maxThreads, int warmup, int iterations) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    List<Integer> counts = new ArrayList<>();
    counts.add(0);
    for (int t = 1; t <= maxThreads; t++) {
      counts.add(t);
    }
    out.printf(Locale.ROOT, "raw engine — %d sessions (intra-op threads %s), %d warm-up and %d timed interleaved rounds …%n",
        counts.size(), counts.stream().map(Benchmark::threads).toList(), warmup, iterations);
    List<AutoCloseable> open = new ArrayList<>();
    try (OnnxTensor ready = Benchmark.readyTensor(env)) {
      String[] names = new String[counts.size()];
      Runnable[] calls = new Runnable[counts.size()];
      for (int i = 0; i < counts.size(); i++) {
        OrtSession.SessionOptions options = Pipeline.sessionOptions(PipelineOptions.serving().withIntraOpThreads(counts.get(i)));
        open.add(options);
        OrtSession session = env.createSession(model.toString(), options);
        open.add(session);
        Map<String, OnnxTensor> feed = Map.of(session.getInputNames().iterator().next(), ready);
        names[i] = "raw OrtSession.run, intra-op " + (counts.get(i) == 0 ? "default" : counts.get(i));
        calls[i] = () -> {
          try (OrtSession.Result ignored = session.run(feed)) {
            // the engine alone on a ready tensor
          } catch (OrtException e) {
            throw new IllegalStateException(e);
          }
        };
      }
      LatencyStats[] stats = Benchmark.interleaved(warmup, iterations, names, calls);
      Map<Integer, LatencyStats> byThreads = new LinkedHashMap<>();
      int best = 1;
      for (int i = 1; i < counts.size(); i++) {
        byThreads.put(counts.get(i), stats[i]);
        if (stats[i].percentileMillis(0.5) < byThreads.get(best).percentileMillis(0.5)) {
          best = counts.get(i);
        }
      }
      for (LatencyStats s : stats) {
        out.println(s.line());
      }
      double batched = batchedThroughput(env, model, Math.max(2, iterations / (2 * BATCH)), open);
      Result result = new Result(stats[0], byThreads, best, batched);
      out.printf(Locale.ROOT, "  best explicit count: %d intra-op threads (p50 %.3f ms); the default's p50 is %.3f× the best's%n",
          best, byThreads.get(best).percentileMillis(0.5), result.defaultOverBest());
      out.printf(Locale.ROOT, "  raw OrtSession.run, batches of %d, default threads: %.1f images/s, %.2f× batch 1's %.1f images/s:"
          + " the ceiling of what batching can gain here%n", BATCH, batched, batched / stats[0].throughput(),
          stats[0].throughput());
      return result;
    } finally {
      for (int i = open.size() - 1; i >= 0; i--) {
        try {
          open.get(i).close();
        } catch (Exception e) {
          // closing native sessions at the end: nothing left to do about a failure
        }
      }
    }
  }

  /** Images a second through a default-threads session fed {@link #BATCH} images per run, after two warm-up runs. */
  private static double batchedThroughput(OrtEnvironment env, Path model, int runs, List<AutoCloseable> open)
      throws OrtException {
    OrtSession.SessionOptions options = Pipeline.sessionOptions(PipelineOptions.serving());
    open.add(options);
    OrtSession session = env.createSession(model.toString(), options);
    open.add(session);
    float[] values = new float[BATCH * 3 * 224 * 224];
    Arrays.fill(values, 0.5f);
    try (OnnxTensor batch = OnnxTensor.createTensor(env, FloatBuffer.wrap(values), new long[] {BATCH, 3, 224, 224})) {
      Map<String, OnnxTensor> feed = Map.of(session.getInputNames().iterator().next(), batch);
      for (int i = 0; i < 2; i++) {
        session.run(feed).close();
      }
      long start = System.nanoTime();
      for (int i = 0; i < runs; i++) {
        session.run(feed).close();
      }
      return (double) runs * BATCH / ((System.nanoTime() - start) / 1e9);
    }
  }
}
