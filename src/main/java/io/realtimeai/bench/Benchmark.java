package io.realtimeai.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.pipeline.ElementType;
import io.realtimeai.pipeline.ImageStage;
import io.realtimeai.pipeline.Pipeline;
import io.realtimeai.pipeline.PipelineOptions;
import io.realtimeai.pipeline.image.ImagePreprocessor;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * The scoring runtime's performance report (DESIGN §8) on one generated model, batch 1 unless said:
 * the raw {@code OrtSession.run} on a ready tensor (the floor) at the default and at each explicit
 * intra-op thread count; the runtime as its own process with this JVM as its client (tensor and
 * JPEG input; 1, 4 and 16 concurrent callers, without and with batching); decode+preprocess alone.
 * The scoring functions' part (HTTP, drop folder) is added by the command, which owns the local stack.
 */
public final class Benchmark {
  /**
   * What to measure.
   *
   * @param model the generated model (ResNet-50, or the tiny model)
   * @param iterations timed rounds (calls shared out among the callers in the concurrency measurement)
   * @param warmup untimed rounds first
   * @param runtimeWarmup how long each runtime process is called before timing (at least {@code warmup} calls)
   * @param maxThreads the highest explicit intra-op count swept (the cores usable)
   * @param jar the {@code realtime-ai.jar} the runtime process runs
   * @param workDir where models, packages and runtime logs are written
   */
  public record Settings(ModelKind model, int iterations, int warmup, Duration runtimeWarmup, int maxThreads, Path jar,
      Path workDir) {}

  /**
   * What the report measured.
   *
   * @param model the model and its packages
   * @param engine the raw engine
   * @param runtime the runtime process
   */
  public record Result(BenchModel model, EngineBench.Result engine, RuntimeBench.Result runtime) {}

  private final Settings settings;
  private final PrintStream out;

  public Benchmark(Settings settings, PrintStream out) {
    this.settings = settings;
    this.out = out;
  }

  /** The machine line: CPU, cores usable, memory, Java, ONNX Runtime. */
  public static String machineLine() throws OrtException {
    return Machine.describe() + ", ONNX Runtime " + OrtEnvironment.getEnvironment().getVersion() + " (CPU execution provider)";
  }

  /** How an intra-op thread count reads in the report; 0 is the engine's default. */
  static String threads(int count) {
    return count == 0 ? "0 (" + io.realtimeai.pipeline.EngineThreads.detect().describe() + ")" : Integer.toString(count);
  }

  /** Runs the engine, runtime-process and preprocessing measurements, printing as it goes. */
  public Result run() throws Exception {
    out.printf(Locale.ROOT, "%s — generating the model and its packages …%n", settings.model().id());
    BenchModel model = BenchModel.write(settings.model(), settings.workDir());
    byte[] jpeg = photoLikeJpeg(224, 224, 1);
    out.printf(Locale.ROOT, "%n[1] the raw engine, %s%n", settings.model().id());
    EngineBench.Result engine = new EngineBench(out).run(model.model(), settings.maxThreads(), settings.warmup(),
        settings.iterations());
    out.printf(Locale.ROOT, "%n[2] the runtime as its own process (intra-op threads %s; this JVM the client)%n",
        threads(0));
    RuntimeBench.Result runtime;
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = Pipeline.sessionOptions(PipelineOptions.serving());
        OrtSession session = env.createSession(model.model().toString(), options);
        OnnxTensor ready = readyTensor(env)) {
      Map<String, OnnxTensor> feed = Map.of(session.getInputNames().iterator().next(), ready);
      Runnable raw = () -> {
        try (OrtSession.Result ignored = session.run(feed)) {
          // the engine alone on a ready tensor, default threads
        } catch (OrtException e) {
          throw new IllegalStateException(e);
        }
      };
      runtime = new RuntimeBench(out, settings.jar(), settings.workDir()).run(model, jpeg, raw, settings.warmup(),
          settings.runtimeWarmup(), settings.iterations());
    }
    printRatios(engine, runtime);
    out.printf(Locale.ROOT, "%n[3] decode + preprocess alone%n");
    measurePreprocessing(jpeg);
    return new Result(model, engine, runtime);
  }

  /** Adds this part's rows to the summary. */
  public static void summarize(Result result, Summary summary) {
    RuntimeBench.Result runtime = result.runtime();
    summary.atMost("raw engine: default threads p50 / best count's (" + result.engine().best() + ")",
        result.engine().defaultOverBest(), 1.05);
    summary.atMost("gRPC tensor, own process: p50 / raw p50", ratio(runtime.tensor(), runtime.rawBesideTensor(), 0.5),
        1.03);
    summary.atMost("gRPC JPEG, own process: p50 / raw p50", ratio(runtime.jpeg(), runtime.rawBesideJpeg(), 0.5), 1.06);
    summary.atMost("gRPC tensor, own process: p99 / raw p99", ratio(runtime.tensor(), runtime.rawBesideTensor(), 0.99),
        1.15);
    summary.atMost("gRPC JPEG, own process: p99 / raw p99", ratio(runtime.jpeg(), runtime.rawBesideJpeg(), 0.99), 1.15);
    summary.atLeast("batching: 16 callers' throughput / sequential batch 1",
        runtime.batched().get(16).throughput() / runtime.concurrent().get(1).throughput(), 1.3);
    summary.atMost("batching: 1 caller p50 / without batching", ratio(runtime.aloneBatching(), runtime.alone(), 0.5), 1.02);
  }

  private void printRatios(EngineBench.Result engine, RuntimeBench.Result runtime) {
    out.printf(Locale.ROOT, "  against the raw engine call of the same rounds (default threads):%n");
    for (LatencyStats[] pair : List.of(new LatencyStats[] {runtime.tensor(), runtime.rawBesideTensor()},
        new LatencyStats[] {runtime.jpeg(), runtime.rawBesideJpeg()})) {
      LatencyStats s = pair[0];
      LatencyStats raw = pair[1];
      out.printf(Locale.ROOT, "    %-44s p50 %.3f×  p99 %.3f×  (+%.3f ms at p50; raw p50 %.3f ms)%n", s.name(),
          ratio(s, raw, 0.5), ratio(s, raw, 0.99), s.percentileMillis(0.5) - raw.percentileMillis(0.5),
          raw.percentileMillis(0.5));
    }
    out.printf(Locale.ROOT, "    a lone caller with batching on: p50 %.3f× the same rounds' calls without it%n",
        ratio(runtime.aloneBatching(), runtime.alone(), 0.5));
    double sequential = runtime.concurrent().get(1).throughput();
    for (var entry : runtime.concurrent().entrySet()) {
      out.printf(Locale.ROOT, "    %2d callers: throughput %.2f× one caller's without batching; with batching %.2f×%n",
          entry.getKey(), entry.getValue().throughput() / sequential,
          runtime.batched().get(entry.getKey()).throughput() / sequential);
    }
    out.printf(Locale.ROOT, "    the raw engine itself at batches of %d: %.2f× one caller's throughput (the ceiling for batching)%n",
        EngineBench.BATCH, engine.batchedImagesPerSecond() / sequential);
  }

  private static double ratio(LatencyStats measured, LatencyStats floor, double quantile) {
    return measured.percentileMillis(quantile) / floor.percentileMillis(quantile);
  }

  private void measurePreprocessing(byte[] jpeg224) throws IOException {
    out.printf(Locale.ROOT, "decode + preprocess (shorter side 256, centre crop 224, float32 NCHW) — encoding a 12 MP JPEG …%n");
    byte[] jpeg12mp = photoLikeJpeg(4000, 3000, 2);
    ImageStage stage = new ImageStage(List.of(224, 224), ImageStage.Resize.SHORTER_SIDE, 256, ImageStage.ColorOrder.RGB,
        List.of(0.485, 0.456, 0.406), List.of(0.229, 0.224, 0.225), 1 / 255.0, ImageStage.Layout.NCHW, null);
    ImagePreprocessor preprocessor = new ImagePreprocessor(stage, ElementType.FLOAT32, ImagePreprocessor.DEFAULT_MAX_PIXELS);
    ByteBuffer buffer = ByteBuffer.allocateDirect(preprocessor.itemBytes()).order(ByteOrder.nativeOrder());
    LatencyStats[] stats = interleaved(settings.warmup(), Math.max(10, settings.iterations()),
        new String[] {String.format(Locale.ROOT, "224×224 JPEG (%d KB)", jpeg224.length / 1024),
            String.format(Locale.ROOT, "4000×3000 JPEG (%.1f MB)", jpeg12mp.length / 1e6)},
        new Runnable[] {() -> preprocessor.preprocess(jpeg224, buffer.clear()),
            () -> preprocessor.preprocess(jpeg12mp, buffer.clear())});
    for (LatencyStats s : stats) {
      out.println(s.line());
    }
  }

  /**
   * Times {@code contenders} in interleaved rounds (each runs once per round, in turn), after
   * {@code warmup} untimed rounds, so that every one sees the same machine.
   */
  public static LatencyStats[] interleaved(int warmup, int iterations, String[] names, Runnable[] contenders) {
    for (int w = 0; w < warmup; w++) {
      for (Runnable contender : contenders) {
        contender.run();
      }
    }
    long[][] nanos = new long[contenders.length][iterations];
    long[] wall = new long[contenders.length];
    for (int i = 0; i < iterations; i++) {
      for (int c = 0; c < contenders.length; c++) {
        long start = System.nanoTime();
        contenders[c].run();
        long took = System.nanoTime() - start;
        nanos[c][i] = took;
        wall[c] += took;
      }
    }
    LatencyStats[] stats = new LatencyStats[contenders.length];
    for (int c = 0; c < contenders.length; c++) {
      stats[c] = new LatencyStats(names[c], nanos[c], wall[c]);
    }
    return stats;
  }

  /** A ready 1×3×224×224 float input: the raw engine call's input, no decoding in the timing. */
  public static OnnxTensor readyTensor(OrtEnvironment env) throws OrtException {
    float[] values = new float[3 * 224 * 224];
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return OnnxTensor.createTensor(env, FloatBuffer.wrap(values), new long[] {1, 3, 224, 224});
  }

  /** A JPEG with gradients, shapes and mild noise: closer to a photo's entropy than a flat or random image. */
  public static byte[] photoLikeJpeg(int width, int height, long seed) throws IOException {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D g = image.createGraphics();
    g.setPaint(new GradientPaint(0, 0, new Color(200, 120, 40), width, height, new Color(30, 60, 160)));
    g.fillRect(0, 0, width, height);
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < 60; i++) {
      g.setColor(new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256)));
      int w = random.nextInt(width / 4) + 1;
      int h = random.nextInt(height / 4) + 1;
      g.fillOval(random.nextInt(width), random.nextInt(height), w, h);
    }
    g.dispose();
    byte[] pixels = ((java.awt.image.DataBufferByte) image.getRaster().getDataBuffer()).getData();
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) Math.max(0, Math.min(255, (pixels[i] & 0xff) + random.nextInt(41) - 20));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "jpg", out);
    return out.toByteArray();
  }
}
