package io.realtimeai.cli;

import io.realtimeai.bench.Benchmark;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.packaging.PackageArchive;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code realtime-ai bench}: the performance report of DESIGN §8. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Measure the scoring runtime against the raw ONNX Runtime call on the same model, in the same run:",
        "latency percentiles and throughput at batch 1, ratios to the raw call, and preprocessing time."})
final class BenchCommand implements Callable<Integer> {
  @Option(names = "--iterations", defaultValue = "40",
      description = "Timed rounds on ResNet-50 (default: ${DEFAULT-VALUE}); the tiny model gets 25 times as many.")
  int iterations;

  @Option(names = "--warmup", defaultValue = "5", description = "Untimed rounds first (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--intra-op-threads", defaultValue = "0",
      description = "ONNX Runtime intra-op threads for every path; 0 (default) chooses from the usable cores: cgroup quota and CPU affinity, all of them up to 4, one left for gRPC above.")
  int intraOpThreads;

  @Option(names = "--quick", description = "The tiny model only (seconds instead of minutes).")
  boolean quick;

  @Option(names = "--scoring", description = "Also measure the scoring functions on a stack of its own: HTTP score"
      + " against gRPC, and drop-folder throughput against the runtime's saturated throughput.")
  boolean scoring;

  @Option(names = "--only-scoring", description = "Only the scoring measurements.")
  boolean onlyScoring;

  @Option(names = "--dropped", defaultValue = "200", description = "Images dropped for the throughput measurement (default: ${DEFAULT-VALUE}).")
  int dropped;

  @Override
  public Integer call() throws Exception {
    Path work = Files.createTempDirectory("realtime-ai-bench-");
    try {
      List<ModelKind> models = quick ? List.of(ModelKind.TINY) : List.of(ModelKind.RESNET50_CLASSIFIER, ModelKind.TINY);
      Map<ModelKind, Integer> rounds = Map.of(ModelKind.RESNET50_CLASSIFIER, iterations, ModelKind.TINY, iterations * 25);
      if (!onlyScoring) {
        new Benchmark(new Benchmark.Settings(models, rounds, warmup, intraOpThreads, work), System.out).run();
      }
      if (scoring || onlyScoring) {
        new ScoringBench(System.out, work, Math.max(20, iterations), dropped)
            .run(models, io.realtimeai.bench.Benchmark.photoLikeJpeg(224, 224, 1));
      }
      return 0;
    } finally {
      PackageArchive.deleteTree(work);
    }
  }
}
