package io.realtimeai.cli;

import io.realtimeai.app.AppSettings;
import io.realtimeai.app.ProjectPaths;
import io.realtimeai.bench.Benchmark;
import io.realtimeai.bench.Summary;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.packaging.PackageArchive;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code realtime-ai bench}: the performance report of DESIGN §8. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Measure the deployed shape against the raw ONNX Runtime call on the same model, in one run:",
        "the raw engine at the default and at each intra-op thread count; the runtime as its own process (tensor and",
        "JPEG input; 1, 4 and 16 callers, without and with batching); HTTP score against gRPC and the drop folder",
        "(with storage requests per image) on a local stack of its own; then a summary of every ratio and its goal."})
final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--iterations", defaultValue = "200",
      description = "Timed calls per measurement on ResNet-50, shared out among concurrent callers (default:"
          + " ${DEFAULT-VALUE}); the tiny model gets 10 times as many.")
  int iterations;

  @Option(names = "--runtime-warmup", defaultValue = "10", paramLabel = "SECONDS",
      description = "Calls made to each runtime process before timing, for at least this long (default: ${DEFAULT-VALUE}):"
          + " a fresh JVM compiles its serving path in its first few hundred calls.")
  int runtimeWarmupSeconds;

  @Option(names = "--warmup", defaultValue = "5", description = "Untimed rounds first (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--quick", description = "The tiny model instead of ResNet-50 (seconds instead of minutes).")
  boolean quick;

  @Option(names = "--max-threads", paramLabel = "N",
      description = "Highest explicit intra-op thread count the raw engine is swept to (default: the cores usable).")
  Integer maxThreads;

  @Option(names = "--no-scoring", description = "Leave out the scoring functions (HTTP score, drop folder): no local stack.")
  boolean noScoring;

  @Option(names = "--dropped", defaultValue = "200",
      description = "Images dropped for the drop-folder throughput (default: ${DEFAULT-VALUE}).")
  int dropped;

  @Option(names = "--soak", paramLabel = "DURATION",
      description = "Instead of the report: HTTP score calls and dropped images at a steady rate on a local stack for"
          + " this long (90s, 30m, 2h), results and events kept a minute and each dropped image deleted once scored, a"
          + " line a minute (throughput, p50/p99, the folder's images per Predict call, the drop container's listing"
          + " time, errors, resident memory and CPU of the host, the runtime and Azurite), then what was lost, how memory"
          + " grew after the first minute and the trend of a line fitted to every minute from the second, how memory, CPU"
          + " and p99 moved from the five minutes after the first sixth of the run to the last five, and the p99 of"
          + " every such window between, each p99 with its 95 % bounds; all of it after a warm-up at twice the rate"
          + " (--soak-warm-up).")
  String soak;

  @Option(names = "--soak-rate", defaultValue = "8", paramLabel = "IMAGES/S",
      description = "Images a second during --soak, half scored over HTTP, half dropped (default: ${DEFAULT-VALUE}).")
  double soakRate;

  @Option(names = "--soak-warm-up", paramLabel = "DURATION",
      description = "Before the figures --soak reports on, the same load at twice the rate for this long, its lines"
          + " marked w, so that the figures start with the JIT compiler's work done; rounded up to whole --report-every"
          + " intervals, 0 for none (default: a sixth of --soak).")
  String soakWarmUp;

  @Option(names = "--report-every", defaultValue = "1m", paramLabel = "DURATION",
      description = "How often --soak prints a line (default: ${DEFAULT-VALUE}).")
  String reportEvery;

  @Option(names = "--jar", paramLabel = "FILE",
      description = "The realtime-ai.jar the runtime process runs (default: RUNTIME_JAR, else target/realtime-ai.jar).")
  Path jar;

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    if (soak != null) {
      Duration duration = parseDuration("--soak", soak);
      Duration every = parseDuration("--report-every", reportEvery);
      if (soakRate <= 0 || every.compareTo(duration) > 0) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--soak-rate must be positive and --report-every"
            + " no longer than --soak");
      }
      Duration warmUp = soakWarmUp == null ? duration.dividedBy(6) : parseWarmUp(soakWarmUp);
      Path work = Files.createTempDirectory("realtime-ai-soak-");
      try {
        return new SoakBench(out, work, duration, every, warmUp, soakRate,
            quick ? ModelKind.TINY : ModelKind.RESNET50_CLASSIFIER).run() ? 0 : 1;
      } finally {
        PackageArchive.deleteTree(work);
      }
    }
    Path work = Files.createTempDirectory("realtime-ai-bench-");
    try {
      ModelKind model = quick ? ModelKind.TINY : ModelKind.RESNET50_CLASSIFIER;
      int rounds = quick ? iterations * 10 : iterations;
      int threads = maxThreads != null ? maxThreads : io.realtimeai.pipeline.EngineThreads.detect().usableCores();
      Path runtimeJar = jar != null ? jar : Path.of(AppSettings.get("RUNTIME_JAR",
          ProjectPaths.root().resolve("target/realtime-ai.jar").toString()));
      if (!Files.isRegularFile(runtimeJar)) {
        throw new IllegalStateException("no " + runtimeJar + " for the runtime process: build it with mvn package"
            + " (./realtime-ai does)");
      }
      out.println("realtime-ai bench — " + Benchmark.machineLine());
      out.printf("model %s; intra-op threads: raw engine %s and 1..%d, runtime process %s; callers 1, 4, 16%n",
          model.id(), engineThreads(), threads, engineThreads());
      Summary summary = new Summary();
      Benchmark.Result result = new Benchmark(new Benchmark.Settings(model, rounds, warmup,
          java.time.Duration.ofSeconds(runtimeWarmupSeconds), threads, runtimeJar.toAbsolutePath(), work), out).run();
      Benchmark.summarize(result, summary);
      if (noScoring) {
        summary.notMeasured("HTTP score p50 − gRPC p50, same service", "≤ 1.0 ms", "--no-scoring");
        summary.notMeasured("drop folder throughput / the runtime's saturated", "≥ 0.80×", "--no-scoring");
      } else {
        new ScoringBench(out, work, iterations, dropped).run(model, Benchmark.photoLikeJpeg(224, 224, 1), summary);
      }
      summary.print(out);
      return 0;
    } finally {
      PackageArchive.deleteTree(work);
    }
  }

  /** {@code --soak-warm-up}: a duration, zero ({@code 0}, {@code 0s}) for none. */
  private Duration parseWarmUp(String text) {
    if (text.strip().equals("0")) {
      return Duration.ZERO;
    }
    try {
      Duration warmUp = SoakBench.parse(text);
      if (warmUp.isNegative()) {
        throw new IllegalArgumentException("'" + text + "' is negative");
      }
      return warmUp;
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--soak-warm-up: " + e.getMessage());
    }
  }

  private Duration parseDuration(String option, String text) {
    try {
      Duration duration = SoakBench.parse(text);
      if (duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException("'" + text + "' is not a positive duration");
      }
      return duration;
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), option + ": " + e.getMessage());
    }
  }

  /** The default thread count as the report names it: what the runtime chooses from the machine. */
  private static String engineThreads() {
    return io.realtimeai.pipeline.EngineThreads.detect().describe();
  }
}
