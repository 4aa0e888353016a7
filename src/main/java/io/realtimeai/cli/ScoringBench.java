package io.realtimeai.cli;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.azure.core.util.BinaryData;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.realtimeai.app.App;
import io.realtimeai.bench.Benchmark;
import io.realtimeai.bench.BlockingHttpClient;
import io.realtimeai.bench.LatencyStats;
import io.realtimeai.bench.Summary;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.generate.ModelGenerator;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.generate.OnnxGraphBuilder;
import io.realtimeai.packaging.ModelPackager;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.pipeline.Pipeline;
import io.realtimeai.pipeline.PipelineOptions;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.storage.StorageRequests;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The scoring functions' part of the benchmark, on a stack of its own (Azurite, the local host in
 * this JVM, a deployed service): an HTTP score call against a direct gRPC Predict on the same
 * service and the raw engine (batch 1, interleaved), and drop-folder throughput (images dropped →
 * results written) against the runtime's own saturated throughput, with the storage requests the
 * app sends per dropped image.
 */
final class ScoringBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  // The JDK's client, HTTP/1.1 on kept-alive connections, measured beside the blocking one.
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final PrintStream out;
  private final Path work;
  private final int rounds;
  private final int dropped;

  ScoringBench(PrintStream out, Path work, int rounds, int dropped) {
    this.out = out;
    this.work = work;
    this.rounds = rounds;
    this.dropped = dropped;
  }

  /** Measures {@code kind}'s service on a stack of its own and adds its rows to {@code summary}. */
  void run(ModelKind kind, byte[] jpeg, Summary summary) throws Exception {
    out.printf(Locale.ROOT, "%n[4] the scoring functions — starting a stack of its own (Azurite in memory, the local host, replicas) …%n");
    try (LocalStack stack = LocalStack.start(0, null, true)) {
      AppApi app = new AppApi(stack.baseUrl());
      // The bench's own uploads and listings count apart from the app's requests.
      Storage storage = Storage.connect(stack.connectionString(), new StorageRequests());
      measure(kind, app, storage, jpeg, summary);
    }
  }

  /**
   * A service of one replica deployed on the stack for a generated model, as a user deploys one.
   *
   * @param name the model's short name
   * @param service the service's name
   * @param address the replica's {@code host:port}
   * @param key its primary key
   * @param model the model file, for the raw engine
   */
  record Deployed(String name, String service, String address, String key, Path model) {}

  /** Generates {@code kind}, packages it with an image stage and labels, registers it and deploys it (1 replica, CPU). */
  static Deployed deploy(PrintStream out, Path work, ModelKind kind, AppApi app, Storage storage, String prefix)
      throws Exception {
    String name = kind.id().replace("resnet50-classifier", "resnet50");
    out.printf(Locale.ROOT, "%n%s — registering and deploying (1 replica, CPU) …%n", name);
    Path folder = work.resolve("scoring-" + name);
    Files.createDirectories(folder);
    OnnxGraphBuilder.write(ModelGenerator.generate(kind, 1), folder.resolve("model.onnx"));
    int classes = kind == ModelKind.TINY ? 10 : 1000;
    Files.writeString(folder.resolve("labels.txt"), IntStream.range(0, classes).mapToObj(i -> "class " + i)
        .collect(Collectors.joining("\n")));
    Files.writeString(folder.resolve("service_def.json"), """
        { "pipeline": [ { "type": "image", "size": [224, 224], "shorter_side": 256,
            "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "scale": 0.00392156862745098 },
          { "type": "onnx", "model_path": "model.onnx" } ], "labels": "labels.txt" }""");
    Path zip = work.resolve(name + ".zip");
    ModelPackager.pack(folder, zip, AcceleratedCatalog.none());
    storage.container("bench").createIfNotExists();
    storage.container("bench").getBlobClient(name + ".zip").upload(BinaryData.fromFile(zip), true);
    AppApi.Answer model = app.post("/api/models", Map.of("name", name, "blobPath", "bench/" + name + ".zip"));
    if (model.status() != 200) {
      throw new IllegalStateException("registering " + name + " failed: " + model.describe());
    }
    String service = prefix + name;
    AppApi.Answer accepted = app.post("/api/services", Map.of("name", service, "modelId", model.body().path("id").asText(),
        "computeType", "CPU", "numReplicas", 1));
    String operation = accepted.response().headers().firstValue("Operation-Location").orElseThrow(
        () -> new IllegalStateException("deploying " + service + " failed: " + accepted.describe()));
    var done = app.await(operation, Duration.ofSeconds(300), "the deployment of " + service,
        o -> !List.of("NotStarted", "Running").contains(o.path("state").asText()));
    if (!"Succeeded".equals(done.path("state").asText())) {
      throw new IllegalStateException("deploying " + service + " failed: " + done.path("error"));
    }
    var record = app.get("/api/services/" + service).body();
    String address = record.path("ipAddress").asText() + ":" + record.path("port").asInt();
    String key = app.get("/api/services/" + service + "/keys").body().path("primaryKey").asText();
    return new Deployed(name, service, address, key, folder.resolve("model.onnx"));
  }

  private void measure(ModelKind kind, AppApi app, Storage storage, byte[] jpeg, Summary summary) throws Exception {
    Deployed deployed = deploy(out, work, kind, app, storage, "bench-");
    String name = deployed.name();
    String service = deployed.service();
    String address = deployed.address();
    String key = deployed.key();
    Path folder = deployed.model().getParent();
    try (PredictionClient grpc = PredictionClient.builder(address).key(key).maxAttempts(1)
        .deadline(Duration.ofSeconds(60)).build()) {
      latency(name, service, app, grpc, jpeg, folder.resolve("model.onnx"), summary);
      throughput(name, service, storage, grpc, summary);
    }
    // The next model is measured on a quiet machine: its replica gone, not stopping.
    app.delete("/api/services/" + service).response().headers().firstValue("Operation-Location").ifPresent(deleting -> {
      try {
        app.await(deleting, Duration.ofSeconds(120), "the deletion of " + service,
            o -> !List.of("NotStarted", "Running").contains(o.path("state").asText()));
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException("deleting " + service + " failed: " + e.getMessage(), e);
      }
    });
  }

  private void latency(String name, String service, AppApi app, PredictionClient grpc, byte[] jpeg, Path model,
      Summary summary) throws Exception {
    int n = name.equals("tiny") ? rounds * 10 : rounds;
    int warmup = Math.max(5, n / 5);
    out.printf(Locale.ROOT, "%s — %d warm-up and %d timed rounds of the raw engine, gRPC, HTTP, HTTP+persist, bare HTTP (then both with the JDK's HttpClient), batch 1 …%n",
        name, warmup, n);
    // The answer's own timings of each HTTP call: the function's time (totalMs) and its gRPC call's (runtimeMs).
    List<Double> inFunction = new ArrayList<>();
    List<Double> functionCalls = new ArrayList<>();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    // The floor: the same model file, with the session options the replica's pipeline uses, on a ready tensor.
    try (OrtSession.SessionOptions options = Pipeline.sessionOptions(PipelineOptions.serving());
        OrtSession session = env.createSession(model.toString(), options);
        OnnxTensor ready = Benchmark.readyTensor(env)) {
      Map<String, OnnxTensor> feed = Map.of(session.getInputNames().iterator().next(), ready);
      Runnable raw = () -> {
        try (OrtSession.Result ignored = session.run(feed)) {
          // the engine alone
        } catch (OrtException e) {
          throw new IllegalStateException(e);
        }
      };
      // The floor of any HTTP hop on this machine: the same client and body, a JDK HttpServer with nothing behind it.
      HttpServer bare = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      ExecutorService bareWorkers = Executors.newFixedThreadPool(2);
      bare.setExecutor(bareWorkers);
      bare.createContext("/", exchange -> {
        exchange.getRequestBody().readAllBytes();
        byte[] answer = "{\"timings\":{\"totalMs\":0,\"runtimeMs\":0}}".getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, answer.length);
        exchange.getResponseBody().write(answer);
        exchange.close();
      });
      bare.start();
      String path = "/api/services/" + service + "/score?top=5";
      String url = app.baseUrl() + path;
      String bareUrl = "http://127.0.0.1:" + bare.getAddress().getPort() + "/";
      LatencyStats[] stats;
      try (BlockingHttpClient scoring = new BlockingHttpClient(URI.create(app.baseUrl()));
          BlockingHttpClient bareClient = new BlockingHttpClient(URI.create(bareUrl))) {
        stats = Benchmark.interleaved(warmup, n,
            new String[] {"raw OrtSession.run, ready tensor", "gRPC Predict, direct to the replica", "HTTP score, persist=false",
                "HTTP score, result persisted", "HTTP to a server doing nothing", "HTTP score, persist=false, JDK HttpClient",
                "HTTP to a server doing nothing, JDK HttpClient"},
            new Runnable[] {raw, () -> grpc.predictImages(List.of(jpeg)),
                () -> {
                  double[] timings = call(scoring, path + "&persist=false", jpeg);
                  inFunction.add(timings[0]);
                  functionCalls.add(timings[1]);
                }, () -> call(scoring, path, jpeg), () -> call(bareClient, "/", jpeg),
                () -> call(url + "&persist=false", jpeg), () -> call(bareUrl, jpeg)});
      } finally {
        bare.stop(0);
        bareWorkers.shutdown();
      }
      for (LatencyStats stat : stats) {
        out.println(stat.line());
      }
      double engine = stats[0].percentileMillis(0.5);
      double direct = stats[1].percentileMillis(0.5);
      double http = stats[2].percentileMillis(0.5);
      double persisted = stats[3].percentileMillis(0.5);
      double engine99 = stats[0].percentileMillis(0.99);
      out.printf(Locale.ROOT, "  against the raw engine of these rounds: p50 gRPC %.3f×, HTTP %.3f×, HTTP+persist %.3f×;"
          + " p99 gRPC %.3f×, HTTP %.3f×, HTTP+persist %.3f×%n", direct / engine, http / engine, persisted / engine,
          stats[1].percentileMillis(0.99) / engine99, stats[2].percentileMillis(0.99) / engine99,
          stats[3].percentileMillis(0.99) / engine99);
      double total = median(inFunction) + median(functionCalls);
      out.printf(Locale.ROOT, "  HTTP adds %.3f ms at p50 over gRPC (%.3f ms with the result persisted); by the answers' timings,"
          + " at p50: the function %.3f ms, of it its gRPC call %.3f ms (the bench's own gRPC call %.3f ms) and its own work"
          + " %.3f ms; outside the function (client, HTTP server, dispatch) %.3f ms%n", http - direct, persisted - direct,
          total, median(functionCalls), direct, median(inFunction), http - total);
      summary.millisAtMost("HTTP score p50 − gRPC p50, same service", http - direct, 1.0);
      out.printf(Locale.ROOT, "  one HTTP round trip with nothing behind it (the same client and body, a bare JDK HttpServer)"
          + " takes %.3f ms at p50 here: the floor of the HTTP hop on this machine%n", stats[4].percentileMillis(0.5));
      out.printf(Locale.ROOT, "  with the JDK's HttpClient (a selector thread of its own) as the client instead: HTTP adds %.3f ms"
          + " at p50 over gRPC; its bare round trip takes %.3f ms%n", stats[5].percentileMillis(0.5) - direct,
          stats[6].percentileMillis(0.5));
    }
  }

  private void throughput(String name, String service, Storage storage, PredictionClient grpc, Summary summary)
      throws Exception {
    int images = dropped;
    double saturated = saturated(grpc, Benchmark.photoLikeJpeg(224, 224, 1), images);
    out.printf(Locale.ROOT, "%s — the runtime saturated (4 callers, batches of 16): %.1f images/s%n", name, saturated);
    List<byte[]> pictures = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < images; i++) {
      pictures.add(Benchmark.photoLikeJpeg(224, 224, random.nextLong()));
    }
    String prefix = service + "/run/";
    out.printf(Locale.ROOT, "%s — dropping %d images into images/%s …%n", name, images, prefix);
    var batchesBefore = App.get().folderScoring().batcher().stats();
    Map<String, Long> requestsBefore = StorageRequests.app().snapshot();
    long start = System.nanoTime();
    ExecutorService uploads = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < images; i++) {
        int index = i;
        done.add(uploads.submit(() -> storage.container(StorageLayout.IMAGES)
            .getBlobClient(prefix + String.format("%05d.jpg", index)).upload(BinaryData.fromBytes(pictures.get(index)), true)));
      }
      for (Future<?> upload : done) {
        upload.get();
      }
    } finally {
      uploads.shutdown();
    }
    long count = 0;
    long first = 0;
    long firstCount = 0;
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (count < images && System.nanoTime() < deadline) {
      Thread.sleep(250);
      count = storage.container(StorageLayout.RESULTS).listBlobs(new ListBlobsOptions().setPrefix(prefix), null).stream().count();
      if (first == 0 && count > 0) {
        first = System.nanoTime();
        firstCount = count;
      }
    }
    long end = System.nanoTime();
    Map<String, Long> requests = StorageRequests.since(requestsBefore, StorageRequests.app().snapshot());
    double seconds = (end - start) / 1e9;
    double rate = count / seconds;
    out.printf(Locale.ROOT, "  drop-folder: %d of %d results in %.1f s = %.1f images/s, %.0f%% of the runtime's saturated throughput%n",
        count, images, seconds, rate, 100 * rate / saturated);
    var batches = App.get().folderScoring().batcher().stats();
    out.printf(Locale.ROOT, "  (the first result %.1f s after the first drop; from then on %.1f images/s; %.1f images per Predict call)%n",
        (first - start) / 1e9, (count - firstCount) / ((end - first) / 1e9),
        (batches.images() - batchesBefore.images()) / (double) Math.max(1, batches.calls() - batchesBefore.calls()));
    summary.atLeast("drop folder throughput / the runtime's saturated", rate / saturated, 0.8);
    printRequests(requests, count);
  }

  /**
   * The storage requests the app's clients (functions and the local host's triggers, in this JVM) sent while the
   * drop was scored, per result: the bench's own uploads and listings are not among them; the host's polling is.
   */
  private void printRequests(Map<String, Long> requests, long results) {
    long total = requests.values().stream().mapToLong(Long::longValue).sum();
    double per = Math.max(1, results);
    out.printf(Locale.ROOT, "  storage requests by the app during the drop: %d, %.2f per dropped image%s%n", total, total / per,
        total == 0 ? "" : " — " + requests.entrySet().stream()
            .map(e -> String.format(Locale.ROOT, "%s %.2f", e.getKey(), e.getValue() / per))
            .collect(Collectors.joining(", ")));
    out.println("  (the app's clients only, the host's trigger polling included; the bench's own uploads and listings not)");
  }

  private static double saturated(PredictionClient grpc, byte[] jpeg, int images) throws Exception {
    List<byte[]> batch = Collections.nCopies(16, jpeg);
    for (int i = 0; i < 2; i++) {
      grpc.predictImages(batch);
    }
    int calls = Math.max(8, images / 16);
    AtomicLong left = new AtomicLong(calls);
    ExecutorService callers = Executors.newFixedThreadPool(4);
    long start = System.nanoTime();
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        done.add(callers.submit(() -> {
          while (left.getAndDecrement() > 0) {
            grpc.predictImages(batch);
          }
        }));
      }
      for (Future<?> caller : done) {
        caller.get();
      }
    } finally {
      callers.shutdown();
    }
    return calls * 16 / ((System.nanoTime() - start) / 1e9);
  }

  private static double median(List<Double> values) {
    return values.stream().sorted().skip(values.size() / 2).findFirst().orElse(0.0);
  }

  /** One score call with the JDK's HttpClient; answers the function's own work and its gRPC call, in ms. */
  private static double[] call(String url, byte[] jpeg) {
    try {
      HttpResponse<byte[]> answer = CLIENT.send(HttpRequest.newBuilder(URI.create(url))
          .header("Content-Type", "image/jpeg").POST(HttpRequest.BodyPublishers.ofByteArray(jpeg)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      return inFunctionMillis(answer.statusCode(), answer.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** One score call with a client that does its I/O on this thread, as curl does. */
  private static double[] call(BlockingHttpClient client, String pathAndQuery, byte[] jpeg) {
    try {
      BlockingHttpClient.Answer answer = client.post(pathAndQuery, "image/jpeg", jpeg);
      return inFunctionMillis(answer.status(), answer.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static double[] inFunctionMillis(int status, byte[] text) throws IOException {
    if (status != 200) {
      throw new IllegalStateException("score failed: " + status + " " + new String(text, StandardCharsets.UTF_8));
    }
    var timings = JSON.readTree(text).path("timings");
    double runtime = timings.path("runtimeMs").asDouble();
    return new double[] {timings.path("totalMs").asDouble() - runtime, runtime};
  }
}
