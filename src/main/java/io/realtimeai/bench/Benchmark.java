package io.realtimeai.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.generate.ModelGenerator;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.generate.OnnxGraphBuilder;
import io.realtimeai.packaging.ModelPackage;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.pipeline.ElementType;
import io.realtimeai.pipeline.ImageStage;
import io.realtimeai.pipeline.Pipeline;
import io.realtimeai.pipeline.PipelineOptions;
import io.realtimeai.pipeline.image.ImagePreprocessor;
import io.realtimeai.runtime.RuntimeSettings;
import io.realtimeai.runtime.ScoringRuntime;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import javax.imageio.ImageIO;

/**
 * The scoring runtime's performance report: for each model, batch 1, the raw
 * {@code OrtSession.run} on a ready tensor (the floor), the in-process pipeline on a 224×224 JPEG,
 * and a full gRPC Predict over loopback with the JPEG's bytes, measured in interleaved rounds so
 * that all three see the same machine; then decode+preprocess alone for a 224² and a 12 MP JPEG.
 */
public final class Benchmark {
  private static final String IMAGE_STAGE = """
      { "type": "image", "size": [224, 224], "resize": "shorter_side", "shorter_side": 256,
        "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "scale": 0.00392156862745098 }""";

  /**
   * What to measure.
   *
   * @param models the generated models to serve (e.g. {@code resnet50-classifier}, {@code tiny})
   * @param iterations timed rounds per model
   * @param warmup untimed rounds first
   * @param intraOpThreads ONNX Runtime threads (0: ONNX Runtime's choice), the same for every path
   * @param workDir where models and packages are written
   */
  public record Settings(List<ModelKind> models, Map<ModelKind, Integer> iterations, int warmup, int intraOpThreads,
      Path workDir) {}

  private final Settings settings;
  private final PrintStream out;

  public Benchmark(Settings settings, PrintStream out) {
    this.settings = settings;
    this.out = out;
  }

  /** Runs every measurement and prints the report. */
  public void run() throws Exception {
    out.println("realtime-ai bench — " + Machine.describe());
    out.printf(Locale.ROOT, "ONNX Runtime %s, CPU execution provider, intra-op threads %s%n",
        OrtEnvironment.getEnvironment().getVersion(),
        settings.intraOpThreads() == 0 ? "ONNX Runtime's default" : settings.intraOpThreads());
    byte[] jpeg224 = photoLikeJpeg(224, 224, 1);
    for (ModelKind kind : settings.models()) {
      measureModel(kind, jpeg224, settings.iterations().getOrDefault(kind, 100));
    }
    measurePreprocessing(jpeg224);
  }

  private void measureModel(ModelKind kind, byte[] jpeg, int iterations) throws Exception {
    Path folder = settings.workDir().resolve(kind.id());
    Files.createDirectories(folder);
    out.printf(Locale.ROOT, "%n%s — generating the model …%n", kind.id());
    OnnxGraphBuilder.write(ModelGenerator.generate(kind, 1), folder.resolve("model.onnx"));
    Files.writeString(folder.resolve("service_def.json"), "{ \"pipeline\": [" + IMAGE_STAGE
        + ", { \"type\": \"onnx\", \"model_path\": \"model.onnx\" } ] }");
    ModelPackage modelPackage = ModelPackage.openDirectory(folder);
    PipelineOptions options = PipelineOptions.serving().withIntraOpThreads(settings.intraOpThreads());

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    // The floor runs with the very session options the pipeline uses: what is measured is the serving layer.
    try (OrtSession.SessionOptions sessionOptions = Pipeline.sessionOptions(options)) {
      try (OrtSession session = env.createSession(folder.resolve("model.onnx").toString(), sessionOptions);
          OnnxTensor ready = readyTensor(env);
          Pipeline pipeline = Pipeline.load(folder, modelPackage.definition(), AcceleratedCatalog.none(), options);
          ScoringRuntime runtime = new ScoringRuntime(RuntimeSettings.loopback()).start(
              () -> Pipeline.load(folder, modelPackage.definition(), AcceleratedCatalog.none(), options));
          PredictionClient client = PredictionClient.builder("localhost:" + runtime.port()).maxAttempts(1).build()) {
        pipeline.warmUp();
        String input = session.getInputNames().iterator().next();
        Map<String, OnnxTensor> feed = Map.of(input, ready);
        List<byte[]> images = List.of(jpeg);
        Runnable raw = () -> {
          try (OrtSession.Result ignored = session.run(feed)) {
            // the floor: the engine alone on a ready tensor
          } catch (ai.onnxruntime.OrtException e) {
            throw new IllegalStateException(e);
          }
        };
        Runnable inProcess = () -> pipeline.predictImages(images);
        Runnable grpc = () -> client.predictImages(images);
        out.printf(Locale.ROOT, "%s — %d warm-up and %d timed rounds of (a), (b), (c), batch 1 …%n",
            kind.id(), Math.max(settings.warmup(), iterations / 4), iterations);
        LatencyStats[] stats = interleaved(Math.max(settings.warmup(), iterations / 4), iterations,
            new String[] {"(a) raw OrtSession.run, ready tensor", "(b) in-process pipeline, 224² JPEG",
                "(c) gRPC Predict over loopback, 224² JPEG"},
            new Runnable[] {raw, inProcess, grpc});
        for (LatencyStats s : stats) {
          out.println(s.line());
        }
        double a = stats[0].percentileMillis(0.5);
        double b = stats[1].percentileMillis(0.5);
        double c = stats[2].percentileMillis(0.5);
        out.printf(Locale.ROOT, "  p50 ratios: (b)/(a) %.3f   (c)/(a) %.3f   overhead (c)-(a) %.3f ms%n", b / a, c / a, c - a);
      }
    }
  }

  private void measurePreprocessing(byte[] jpeg224) throws IOException {
    out.printf(Locale.ROOT, "%ndecode + preprocess (shorter side 256, centre crop 224, float32 NCHW) — encoding a 12 MP JPEG …%n");
    byte[] jpeg12mp = photoLikeJpeg(4000, 3000, 2);
    ImageStage stage = new ImageStage(List.of(224, 224), ImageStage.Resize.SHORTER_SIDE, 256, ImageStage.ColorOrder.RGB,
        List.of(0.485, 0.456, 0.406), List.of(0.229, 0.224, 0.225), 1 / 255.0, ImageStage.Layout.NCHW, null);
    ImagePreprocessor preprocessor = new ImagePreprocessor(stage, ElementType.FLOAT32, ImagePreprocessor.DEFAULT_MAX_PIXELS);
    ByteBuffer buffer = ByteBuffer.allocateDirect(preprocessor.itemBytes()).order(ByteOrder.nativeOrder());
    Supplier<Runnable> small = () -> () -> preprocessor.preprocess(jpeg224, buffer.clear());
    Supplier<Runnable> large = () -> () -> preprocessor.preprocess(jpeg12mp, buffer.clear());
    LatencyStats[] stats = interleaved(settings.warmup(), Math.max(30, settings.iterations().values().stream().mapToInt(i -> i).max().orElse(30)),
        new String[] {String.format(Locale.ROOT, "224×224 JPEG (%d KB)", jpeg224.length / 1024),
            String.format(Locale.ROOT, "4000×3000 JPEG (%.1f MB)", jpeg12mp.length / 1e6)},
        new Runnable[] {small.get(), large.get()});
    for (LatencyStats s : stats) {
      out.println(s.line());
    }
  }

  /** Runs the contenders in turn, round after round, so drift in the machine hits all of them alike. */
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
  public static OnnxTensor readyTensor(OrtEnvironment env) throws ai.onnxruntime.OrtException {
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
