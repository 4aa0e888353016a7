package io.realtimeai.cli;

import com.azure.core.util.BinaryData;
import com.fasterxml.jackson.databind.JsonNode;
import io.realtimeai.app.AppSettings;
import io.realtimeai.app.ProjectPaths;
import io.realtimeai.generate.ModelGenerator;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.generate.OnnxGraphBuilder;
import io.realtimeai.host.LocalSettings;
import io.realtimeai.packaging.ModelPackager;
import io.realtimeai.packaging.PackageArchive;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code realtime-ai demo}: the Brainwave walkthrough end to end — a model packaged, dropped into
 * storage and registered, deployed as a service (202 and an operation to poll), images scored
 * over HTTP and by a dropped folder, the results and events read back, the service deleted —
 * with a progress line at every step.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"The Brainwave walkthrough end to end on the local stack: package a model, drop it, wait for its",
        "registration, deploy it, poll the operation, score images over HTTP and by a dropped folder, print the",
        "top-5 with latency, delete. Uses the app at --api when one answers there, else starts a stack of its own."})
final class DemoCommand implements Callable<Integer> {
  private static final String MOBILENET_DEFINITION = """
      { "aml_runtime_version": "1.1",
        "pipeline": [
          { "type": "image", "size": [224, 224], "resize": "shorter_side", "shorter_side": 256, "color_order": "RGB",
            "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "scale": 0.00392156862745098, "layout": "NCHW" },
          { "type": "onnx", "model_path": "mobilenetv2-12-int8.onnx", "input_tensor": "input:0", "output_tensor": "output" } ],
        "labels": "labels.txt",
        "output": { "name": "output_alias", "softmax": true, "top_k": 5 } }
      """;
  private static final String RESNET_DEFINITION = """
      { "aml_runtime_version": "1.1",
        "pipeline": [
          { "type": "image", "size": [224, 224], "resize": "shorter_side", "shorter_side": 256, "color_order": "RGB",
            "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "scale": 0.00392156862745098, "layout": "NCHW" },
          { "type": "brainwave", "model_ref": "resnet50", "model_version": "1", "output_tensor_dims": [2048] },
          { "type": "onnx", "model_path": "head.onnx", "input_tensor": "features:0", "output_tensor": "probabilities:0" } ],
        "labels": "labels.txt",
        "output": { "name": "output_alias", "top_k": 5 } }
      """;

  private static final String DEFAULT_API = "http://localhost:7071";

  @Option(names = "--api", defaultValue = DEFAULT_API,
      description = "A running app to use (default: ${DEFAULT-VALUE}); without one there, a stack of its own is started.")
  String api;

  @Option(names = "--keep", description = "Leave the service deployed at the end.")
  boolean keep;

  private long started;
  private String deployed;

  @Override
  public Integer call() throws Exception {
    started = System.nanoTime();
    boolean ownStack = walkThrough();
    // last, so that it is what the user sees: where to look at what the demo did
    say(ownStack
        ? "the web console: run ./realtime-ai up, then open " + UpCommand.consoleUrl(DEFAULT_API)
            + " (this demo's own stack is gone; run the demo there with --keep to see its service)"
        : "the web console: " + UpCommand.consoleUrl(api));
    return 0;
  }

  /** Runs every step; answers whether it ran on a stack of its own (which is stopped by now). */
  private boolean walkThrough() throws Exception {
    Path work = Files.createTempDirectory("realtime-ai-demo-");
    LocalStack stack = null;
    try {
      AppApi app = new AppApi(api);
      String connection;
      step("1/8", "the local stack");
      if (app.healthy()) {
        AppSettings.putLocal(LocalSettings.read(ProjectPaths.functionApp().resolve("local.settings.json")).values());
        connection = AppSettings.get(AppSettings.STORAGE, "UseDevelopmentStorage=true");
        say("using the app already answering at " + api);
      } else {
        say("no app answers at " + api + "; starting a stack of its own (in memory) …");
        stack = LocalStack.start(0, null, true);
        app = new AppApi(stack.baseUrl());
        connection = stack.connectionString();
        say("the app answers at " + stack.baseUrl() + "; " + stack.storageDescription());
      }
      Storage storage = Storage.connect(connection);
      try {
        run(app, storage, work);
      } catch (Exception e) {
        if (deployed != null) {
          // A demo that stopped half way leaves nothing deployed behind it on a running app.
          say("the demo failed; deleting " + deployed + " …");
          app.delete("/api/services/" + deployed);
        }
        throw e;
      }
      say("done in " + seconds(System.nanoTime() - started));
      return stack != null;
    } finally {
      if (stack != null) {
        say("stopping the stack …");
        stack.close();
      }
      PackageArchive.deleteTree(work);
    }
  }

  private void run(AppApi app, Storage storage, Path work) throws Exception {
    Path fixtures = ProjectPaths.root().resolve("../shared/fixtures/imagenet").normalize();
    boolean real = Files.isRegularFile(fixtures.resolve("mobilenetv2-12-int8.onnx"));
    String modelName = real ? "demo-mobilenet" : "demo-resnet50";
    Path folder = work.resolve(modelName);
    Files.createDirectories(folder);

    step("2/8", "a model");
    Map<String, byte[]> images = new LinkedHashMap<>();
    if (real) {
      Files.copy(fixtures.resolve("mobilenetv2-12-int8.onnx"), folder.resolve("mobilenetv2-12-int8.onnx"));
      Files.copy(fixtures.resolve("imagenet_classes.txt"), folder.resolve("labels.txt"));
      Files.writeString(folder.resolve("service_def.json"), MOBILENET_DEFINITION);
      for (String photo : List.of("imagenet_finch.jpeg", "winml_kitten_224.png", "winml_fish.png", "grace_hopper.jpg")) {
        images.put(photo, Files.readAllBytes(fixtures.resolve(photo)));
      }
      say("the pretrained MobileNetV2 (int8, ONNX Model Zoo) from " + fixtures + ", with the ImageNet labels");
    } else {
      say("no fixtures at " + fixtures + ": generating a ResNet-50 featurizer and a classifier head"
          + " (seeded random weights: the labels it answers are arbitrary) …");
      Path featurizer = work.resolve("resnet50.onnx");
      OnnxGraphBuilder.write(ModelGenerator.generate(ModelKind.RESNET50, 1), featurizer);
      OnnxGraphBuilder.write(ModelGenerator.generate(ModelKind.RESNET50_HEAD, 1), folder.resolve("head.onnx"));
      Files.writeString(folder.resolve("labels.txt"),
          IntStream.range(0, 1000).mapToObj(i -> "class " + i).collect(Collectors.joining("\n")));
      Files.writeString(folder.resolve("service_def.json"), RESNET_DEFINITION);
      say("dropping the featurizer into the accelerated model catalog as resnet50/1 …");
      storage.container(StorageLayout.ACCELERATED_MODELS).getBlobClient("resnet50/1/model.onnx")
          .upload(BinaryData.fromFile(featurizer), true);
      JsonNode entry = app.await("/api/accelerated-models/resnet50/1", Duration.ofSeconds(120), "the catalog entry",
          e -> !e.path("state").asText().isEmpty());
      say("catalog entry resnet50/1: " + entry.path("state").asText());
      for (int i = 0; i < 3; i++) {
        images.put("picture-" + i + ".jpg", picture(i));
      }
    }

    step("3/8", "package it (service_def.json with the graphs)");
    Path zip = work.resolve(modelName + ".zip");
    ModelPackager.Packed packed = ModelPackager.pack(folder, zip, AcceleratedCatalog.none());
    say(String.format(Locale.ROOT, "%s: %d files (%s), %.1f MiB, sha256 %s", zip.getFileName(), packed.files().size(),
        String.join(", ", packed.files()), packed.bytes() / (double) (1 << 20), packed.sha256().substring(0, 16) + "…"));

    step("4/8", "drop it into blob storage and wait for its registration");
    long t0 = System.nanoTime();
    storage.container(StorageLayout.MODEL_UPLOADS).getBlobClient(modelName + ".zip").upload(BinaryData.fromFile(zip), true);
    say("dropped " + StorageLayout.MODEL_UPLOADS + "/" + modelName + ".zip; polling /api/uploads/" + modelName + " …");
    JsonNode upload = app.await("/api/uploads/" + modelName, Duration.ofSeconds(120), "the registration",
        u -> !"Pending".equals(u.path("state").asText()) && packed.sha256().equals(sha(app, u)));
    if (!"Registered".equals(upload.path("state").asText())) {
      throw new IllegalStateException("the upload was rejected: " + upload.path("reasons"));
    }
    String modelId = upload.path("modelId").asText();
    say("registered " + modelId + " in " + seconds(System.nanoTime() - t0));

    step("5/8", "deploy it: POST /api/services (computeType FPGA)");
    String serviceName = "demo-" + UUID.randomUUID().toString().substring(0, 6);
    t0 = System.nanoTime();
    AppApi.Answer accepted = app.post("/api/services", Map.of("name", serviceName, "modelId", modelId,
        "computeType", "FPGA", "numReplicas", 1));
    if (accepted.status() != 202) {
      throw new IllegalStateException("the deployment was refused: " + accepted.describe());
    }
    deployed = serviceName;
    String operation = accepted.response().headers().firstValue("Operation-Location").orElseThrow();
    say("202 Accepted; Operation-Location: " + operation + "; polling …");
    JsonNode done = app.await(operation, Duration.ofSeconds(300), "the deployment",
        o -> !List.of("NotStarted", "Running").contains(o.path("state").asText()));
    if (!"Succeeded".equals(done.path("state").asText())) {
      throw new IllegalStateException("the deployment failed: " + done.path("error"));
    }
    JsonNode service = app.get("/api/services/" + serviceName).body();
    say(String.format(Locale.ROOT, "%s in %s: service %s at %s:%d on %s", done.path("state").asText(),
        seconds(System.nanoTime() - t0), serviceName, service.path("ipAddress").asText(), service.path("port").asInt(),
        service.path("accelerator").asText()));

    step("6/8", "score images over HTTP: POST /api/services/" + serviceName + "/score");
    for (Map.Entry<String, byte[]> image : images.entrySet()) {
      long call = System.nanoTime();
      AppApi.Answer scored = app.post("/api/services/" + serviceName + "/score?top=5", image.getValue(),
          image.getKey().endsWith(".png") ? "image/png" : "image/jpeg");
      double roundTrip = (System.nanoTime() - call) / 1e6;
      if (scored.status() != 200) {
        throw new IllegalStateException("scoring " + image.getKey() + " failed: " + scored.describe());
      }
      JsonNode timings = scored.body().path("timings");
      say(String.format(Locale.ROOT, "%s  round trip %.1f ms (function %.1f ms, runtime %.1f ms)", image.getKey(),
          roundTrip, timings.path("totalMs").asDouble(), timings.path("runtimeMs").asDouble()));
      int rank = 1;
      for (JsonNode p : scored.body().path("predictions").path(0)) {
        System.out.printf(Locale.ROOT, "      %d. %-28s %.4f%n", rank++, p.path("label").asText(), p.path("confidence").asDouble());
      }
    }

    step("7/8", "score a dropped folder: images/" + serviceName + "/demo/…");
    t0 = System.nanoTime();
    for (Map.Entry<String, byte[]> image : images.entrySet()) {
      storage.container(StorageLayout.IMAGES).getBlobClient(serviceName + "/demo/" + image.getKey())
          .upload(BinaryData.fromBytes(image.getValue()), true);
    }
    say("dropped " + images.size() + " images; waiting for results/" + serviceName + "/demo/ …");
    for (String name : images.keySet()) {
      JsonNode result = app.await("/api/results/" + serviceName + "/demo/" + name, Duration.ofSeconds(120),
          "the result of " + name, r -> true);
      JsonNode top = result.path("predictions").path(0).path(0);
      say(String.format(Locale.ROOT, "results/%s/demo/%s.json: %s %.4f", serviceName, name,
          top.path("label").asText(result.path("status").asText()), top.path("confidence").asDouble()));
    }
    say(images.size() + " results in " + seconds(System.nanoTime() - t0));

    step("8/8", "events, then delete the service");
    Map<String, Integer> counts = new TreeMap<>();
    for (JsonNode event : app.get("/api/events?top=1000").body().path("value")) {
      counts.merge(event.path("eventType").asText(), 1, Integer::sum);
    }
    say("the event outbox holds " + counts);
    if (keep) {
      say("--keep: " + serviceName + " stays deployed");
      deployed = null;
      return;
    }
    AppApi.Answer deleting = app.delete("/api/services/" + serviceName);
    String deleteOperation = deleting.response().headers().firstValue("Operation-Location").orElseThrow();
    JsonNode deleted = app.await(deleteOperation, Duration.ofSeconds(120), "the deletion",
        o -> !List.of("NotStarted", "Running").contains(o.path("state").asText()));
    deployed = null;
    say("DELETE " + serviceName + ": " + deleted.path("state").asText());
  }

  private static String sha(AppApi app, JsonNode upload) {
    try {
      return app.get("/api/models/" + upload.path("modelId").asText()).body().path("sha256").asText();
    } catch (IOException e) {
      return "";
    }
  }

  private void step(String number, String what) {
    System.out.printf(Locale.ROOT, "%n[%s] %s%n", number, what);
  }

  private void say(String line) {
    System.out.printf(Locale.ROOT, "  %7s  %s%n", seconds(System.nanoTime() - started), line);
    System.out.flush();
  }

  private static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
  }

  private static byte[] picture(int seed) throws IOException {
    BufferedImage image = new BufferedImage(320, 240, BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D g = image.createGraphics();
    g.setPaint(new GradientPaint(0, 0, new Color(40 * seed, 120, 200), 320, 240, new Color(200, 60 * seed, 40)));
    g.fillRect(0, 0, 320, 240);
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "jpg", out);
    return out.toByteArray();
  }
}
