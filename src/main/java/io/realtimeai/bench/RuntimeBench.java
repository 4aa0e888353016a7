package io.realtimeai.bench;

import com.google.protobuf.ByteString;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.runtime.RuntimeProcess;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import io.realtimeai.runtime.RuntimeJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import io.realtimeai.proto.tensorflow.DataType;
import io.realtimeai.proto.tensorflow.TensorProto;
import io.realtimeai.proto.tensorflow.TensorShapeProto;
import io.realtimeai.proto.serving.ModelSpec;
import io.realtimeai.proto.serving.PredictRequest;

/**
 * The scoring runtime as the deployed shape runs it: its own process ({@code realtime-ai runtime},
 * default settings), this JVM the client over loopback gRPC. Batch 1 Predict with a tensor input
 * and with a 224² JPEG, then 1, 4 and 16 concurrent JPEG callers, without and with batching.
 */
public final class RuntimeBench {
  /**
   * The raw engine call's name in this section: timed round by round beside the runtime's calls, so that a
   * machine whose speed drifts from minute to minute (a shared VM) moves both alike.
   */
  static final String RAW = "raw OrtSession.run, same rounds";

  /** The caller counts of the concurrency measurement. */
  public static final List<Integer> CALLERS = List.of(1, 4, 16);

  /**
   * What the runtime process did.
   *
   * @param tensor batch 1 Predict, float32 [1,3,224,224] in {@code tensor_content}
   * @param rawBesideTensor the raw engine call, timed in the same rounds as {@code tensor} (one call of each a round)
   * @param jpeg batch 1 Predict, one 224² JPEG in {@code string_val}
   * @param rawBesideJpeg the raw engine call, timed in the same rounds as {@code jpeg}
   * @param alone one caller's JPEG Predict without batching, timed in the same rounds as {@code aloneBatching}
   * @param aloneBatching one caller's JPEG Predict with batching on: the cost of batching to a lone caller
   * @param concurrent JPEG Predict by caller count, without batching, each count's calls back to back
   * @param batched the same with batching on
   */
  public record Result(LatencyStats tensor, LatencyStats rawBesideTensor, LatencyStats jpeg, LatencyStats rawBesideJpeg,
      LatencyStats alone, LatencyStats aloneBatching, Map<Integer, LatencyStats> concurrent,
      Map<Integer, LatencyStats> batched) {}

  private final PrintStream out;
  private final Path jar;
  private final Path work;

  public RuntimeBench(PrintStream out, Path jar, Path work) {
    this.out = out;
    this.jar = jar;
    this.work = work;
  }

  /**
   * Measures {@code model}'s packages: the tensor package's runtime alone, then the JPEG package's without and
   * with batching side by side (two processes, called one at a time); each is first called for {@code warmup}
   * (and {@code untimed} calls at least), as a service that has been up a while: a fresh JVM compiles its
   * serving path during its first few hundred calls.
   */
  public Result run(BenchModel model, byte[] jpeg, Runnable raw, int untimed, Duration warmup, int iterations)
      throws Exception {
    LatencyStats[] tensor;
    out.printf(Locale.ROOT, "runtime process — starting `realtime-ai runtime` on the tensor package (default settings) …%n");
    try (RuntimeProcess runtime = RuntimeProcess.start(jar, model.tensorPackage(), work.resolve("runtime-tensor"), List.of())) {
      PredictRequest request = tensorRequest();
      PredictionClient client = runtime.client();
      Runnable call = () -> client.predict(request);
      out.printf(Locale.ROOT, "runtime process (pid %d, port %d, %d intra-op threads by its own metadata, JVM %s)%n",
          runtime.pid(), runtime.port(), client.intraOpThreads(), String.join(" ", RuntimeJvm.options()));
      warm(call, untimed, warmup);
      tensor = besideRaw(raw, call, "tensor", "gRPC Predict, tensor, separate process", untimed, iterations);
    }
    LatencyStats[] single;
    LatencyStats[] one;
    Map<Integer, LatencyStats> concurrent = new LinkedHashMap<>();
    Map<Integer, LatencyStats> batched = new LinkedHashMap<>();
    out.printf(Locale.ROOT, "runtime process — starting it on the JPEG package (default settings) …%n");
    try (RuntimeProcess runtime = RuntimeProcess.start(jar, model.jpegPackage(), work.resolve("runtime-jpeg"), List.of())) {
      PredictionClient client = runtime.client();
      List<byte[]> images = List.of(jpeg);
      Runnable call = () -> client.predictImages(images);
      out.printf(Locale.ROOT, "runtime process (pid %d, port %d)%n", runtime.pid(), runtime.port());
      warm(call, untimed, warmup);
      single = besideRaw(raw, call, "JPEG", "gRPC Predict, 224² JPEG, separate process", untimed, iterations);
      // Both processes stay up, and each figure with batching is taken next to the same figure without: the two
      // are compared, and on a shared VM figures taken minutes apart differ by more than batching's cost.
      out.printf(Locale.ROOT, "runtime process — starting a second one on the JPEG package with \"batching\": %s …%n",
          BenchModel.BATCHING);
      try (RuntimeProcess batching = RuntimeProcess.start(jar, model.batchingPackage(), work.resolve("runtime-batching"),
          List.of())) {
        PredictionClient batchingClient = batching.client();
        Runnable batchingCall = () -> batchingClient.predictImages(images);
        warm(batchingCall, untimed, warmup);
        out.printf(Locale.ROOT, "  a lone caller: %d timed rounds of a call without batching then one with …%n",
            iterations);
        one = Benchmark.interleaved(untimed, iterations,
            new String[] {"lone caller, no batching", "lone caller, batching on"}, new Runnable[] {call, batchingCall});
        for (LatencyStats stats : one) {
          out.println(stats.line());
        }
        // Throughput by caller count, each count's calls back to back on one process (the 1-caller figure too: it is
        // the sequential throughput the others are compared with).
        for (int callers : CALLERS) {
          concurrent.put(callers, concurrency(client, jpeg, callers, iterations, "no batching"));
          batched.put(callers, concurrency(batchingClient, jpeg, callers, iterations, "batching on"));
        }
      }
    }
    return new Result(tensor[1], tensor[0], single[1], single[0], one[0], one[1], concurrent, batched);
  }

  /**
   * {@code untimed} then {@code iterations} rounds of a raw engine call then a {@code what} Predict call: the raw
   * call's figures first.
   */
  private LatencyStats[] besideRaw(Runnable raw, Runnable call, String what, String name, int untimed, int iterations) {
    out.printf(Locale.ROOT, "  %d timed rounds of a raw engine call in this JVM then a %s Predict call …%n", iterations,
        what);
    LatencyStats[] stats = Benchmark.interleaved(untimed, iterations, new String[] {RAW, name},
        new Runnable[] {raw, call});
    for (LatencyStats s : stats) {
      out.println(s.line());
    }
    return stats;
  }

  /** Calls {@code call} for {@code warmup} and {@code calls} times at least, saying how many it made. */
  private void warm(Runnable call, int calls, Duration warmup) {
    long start = System.nanoTime();
    long end = start + warmup.toNanos();
    int made = 0;
    while (made < calls || System.nanoTime() < end) {
      call.run();
      made++;
    }
    out.printf(Locale.ROOT, "  warmed up with %d calls over %.1f s%n", made, (System.nanoTime() - start) / 1e9);
  }

  /** {@code callers} concurrent callers sharing {@code iterations} JPEG Predict calls (the same number at every count). */
  private LatencyStats concurrency(PredictionClient client, byte[] jpeg, int callers, int iterations, String label)
      throws Exception {
    int each = Math.max(1, iterations / callers);
    out.printf(Locale.ROOT, "  %s × %d JPEG Predict calls, %s …%n",
        callers == 1 ? "1 caller" : callers + " concurrent callers", each, label);
    LatencyStats stats = callers(client, jpeg, callers, each, label(callers, label));
    out.println(stats.line());
    return stats;
  }

  private static String label(int callers, String label) {
    return String.format(Locale.ROOT, "%2d caller%s, %s", callers, callers == 1 ? " " : "s", label);
  }

  /** {@code callers} threads, released together, each making {@code calls} batch-1 Predict calls back to back. */
  static LatencyStats callers(PredictionClient client, byte[] jpeg, int callers, int calls, String name) throws Exception {
    List<byte[]> images = List.of(jpeg);
    long[] nanos = new long[callers * calls];
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService threads = Executors.newFixedThreadPool(callers);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int c = 0; c < callers; c++) {
        int offset = c * calls;
        done.add(threads.submit(() -> {
          start.await();
          for (int i = 0; i < calls; i++) {
            long began = System.nanoTime();
            client.predictImages(images);
            nanos[offset + i] = System.nanoTime() - began;
          }
          return null;
        }));
      }
      long began = System.nanoTime();
      start.countDown();
      for (Future<?> caller : done) {
        caller.get();
      }
      return new LatencyStats(name, nanos, System.nanoTime() - began);
    } finally {
      threads.shutdownNow();
    }
  }

  /** The tensor package's request: float32 [1,3,224,224] in {@code tensor_content}, little-endian as TensorFlow has it. */
  static PredictRequest tensorRequest() {
    ByteBuffer content = ByteBuffer.allocate(4 * 3 * 224 * 224).order(ByteOrder.LITTLE_ENDIAN);
    SplittableRandom random = new SplittableRandom(7);
    while (content.hasRemaining()) {
      content.putFloat((float) random.nextGaussian());
    }
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long dim : new long[] {1, 3, 224, 224}) {
      shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(dim));
    }
    return PredictRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName("default"))
        .putInputs("images", TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape)
            .setTensorContent(ByteString.copyFrom(content.flip())).build())
        .build();
  }
}
