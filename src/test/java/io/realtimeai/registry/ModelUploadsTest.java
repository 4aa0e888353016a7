package io.realtimeai.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.data.tables.models.TableEntity;
import com.fasterxml.jackson.databind.JsonNode;
import io.realtimeai.app.App;
import io.realtimeai.events.RecordedEvent;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.packaging.ModelPackager;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.Fixtures;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.OnnxLayouts;
import io.realtimeai.testing.TensorflowGraphs;
import io.realtimeai.testing.TestApp;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dropping models into {@code model-uploads} and calling the model API, through the local host
 * on a real Azurite: what registers, what is refused and why, and versions that never collide.
 */
@Tag("integration")
class ModelUploadsTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  private static final String IMAGE = ModelFolders.IMAGE_STAGE.replace('"', '\'');

  @TempDir static Path dir;
  static TestApp app;

  @BeforeAll
  static void start() throws Exception {
    app = TestApp.start(azurite, dir, Map.of("UPLOAD_PENDING_LIMIT_SECONDS", "3", "UPLOAD_RECHECK_SECONDS", "1",
        "MODEL_DOWNLOAD_MAX_MB", "1"));
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
  }

  private static JsonNode settled(String name) throws InterruptedException {
    return TestApp.await("upload " + name + " to settle", Duration.ofSeconds(60), () -> {
      try {
        TestApp.Answer answer = app.get("/api/uploads/" + name);
        return answer.status() == 200 && !"Pending".equals(answer.body().get("state").asText()) ? answer.body() : null;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  private static JsonNode pending(String name) throws InterruptedException {
    return TestApp.await("upload " + name + " to wait", Duration.ofSeconds(30), () -> {
      try {
        TestApp.Answer answer = app.get("/api/uploads/" + name);
        return answer.status() == 200 && "Pending".equals(answer.body().get("state").asText()) ? answer.body() : null;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /** Drops every file of {@code folder} under {@code model-uploads/{name}/}, the definition last or first. */
  private static void dropFolder(Path folder, String name, boolean definitionFirst) throws Exception {
    List<Path> files = new ArrayList<>();
    try (var stream = Files.list(folder)) {
      stream.sorted().forEach(files::add);
    }
    files.sort((a, b) -> {
      int rank = Boolean.compare(!a.endsWith("service_def.json"), !b.endsWith("service_def.json"));
      return definitionFirst ? rank : -rank;
    });
    for (Path file : files) {
      app.drop(StorageLayout.MODEL_UPLOADS, name + "/" + file.getFileName(), Files.readAllBytes(file));
    }
  }

  private static String expectedSha256(Path folder) throws Exception {
    return ModelPackager.pack(folder, dir.resolve(folder.getFileName() + "-expected.zip"), AcceleratedCatalog.none()).sha256();
  }

  @Test
  void folderDroppedDefinitionLast_registersVersionOneWithItsPackagesSha256() throws Exception {
    Path folder = ModelFolders.tinyClassifier(dir.resolve("tiny-last"));

    dropFolder(folder, "tiny-last", false);

    JsonNode status = settled("tiny-last");
    assertThat(status.get("state").asText()).isEqualTo("Registered");
    assertThat(status.get("modelId").asText()).isEqualTo("tiny-last:1");
    JsonNode model = app.get("/api/models/tiny-last:1").body();
    assertThat(model.get("sha256").asText()).isEqualTo(expectedSha256(folder));
    assertThat(model.get("mimeType").asText()).isEqualTo("application/zip");
    assertThat(model.get("url").asText()).isEqualTo("models/tiny-last/1/model.zip");
    assertThat(model.get("stages")).extracting(s -> s.get("type").asText()).containsExactly("image", "onnx");
    assertThat(TestApp.events("RealtimeAI.ModelRegistered", "/models/tiny-last/versions/1")).hasSize(1);
  }

  @Test
  void folderDroppedDefinitionFirst_waitsForItsFilesThenRegisters() throws Exception {
    Path folder = ModelFolders.tinyClassifier(dir.resolve("tiny-first"));
    app.drop(StorageLayout.MODEL_UPLOADS, "tiny-first/service_def.json", Files.readAllBytes(folder.resolve("service_def.json")));

    JsonNode waiting = pending("tiny-first");
    assertThat(waiting.get("missing")).extracting(JsonNode::asText).containsExactlyInAnyOrder("labels.txt", "tiny.onnx");

    app.drop(StorageLayout.MODEL_UPLOADS, "tiny-first/tiny.onnx", Files.readAllBytes(folder.resolve("tiny.onnx")));
    app.drop(StorageLayout.MODEL_UPLOADS, "tiny-first/labels.txt", Files.readAllBytes(folder.resolve("labels.txt")));

    JsonNode status = settled("tiny-first");
    assertThat(status.get("state").asText()).isEqualTo("Registered");
    assertThat(app.get("/api/models/tiny-first").body().get("sha256").asText()).isEqualTo(expectedSha256(folder));
  }

  @Test
  void folderWithASavedModel_waitsForItsSavedModelThenRegistersEveryFileOfIt() throws Exception {
    Path folder = dir.resolve("saved");
    TensorflowGraphs.savedModel(folder.resolve("classifier"), 10, 7);
    ModelFolders.labels(folder, 10);
    ModelFolders.definition(folder, "{ 'pipeline': [ { 'type': 'tensorflow', 'model_path': 'classifier' } ],"
        + " 'labels': 'labels.txt' }");
    app.drop(StorageLayout.MODEL_UPLOADS, "saved/service_def.json", Files.readAllBytes(folder.resolve("service_def.json")));
    app.drop(StorageLayout.MODEL_UPLOADS, "saved/labels.txt", Files.readAllBytes(folder.resolve("labels.txt")));
    app.drop(StorageLayout.MODEL_UPLOADS, "saved/notes.txt", "not part of the model".getBytes());

    assertThat(pending("saved").get("missing")).extracting(JsonNode::asText).containsExactly("classifier/saved_model.pb");

    try (var files = Files.walk(folder.resolve("classifier"))) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        app.drop(StorageLayout.MODEL_UPLOADS, "saved/" + folder.relativize(file), Files.readAllBytes(file));
      }
    }
    JsonNode status = settled("saved");
    assertThat(status.get("state").asText()).as(status.toString()).isEqualTo("Registered");
    assertThat(app.get("/api/models/saved:1").body().get("sha256").asText()).isEqualTo(expectedSha256(folder));
  }

  @Test
  void folderWithExternalData_registersTheModelWithItsDataFile() throws Exception {
    Path folder = OnnxLayouts.EXTERNAL_DATA.folder(dir.resolve("external"));

    dropFolder(folder, "external", false);

    JsonNode status = settled("external");
    assertThat(status.get("state").asText()).as(status.toString()).isEqualTo("Registered");
    assertThat(app.get("/api/models/external:1").body().get("sha256").asText()).isEqualTo(expectedSha256(folder));
  }

  @Test
  void realFixtureModelDroppedAsAFolder_registersWithTheRightSha256() throws Exception {
    Path folder = Fixtures.mobilenetFolder(dir.resolve("mobilenet"));

    dropFolder(folder, "mobilenet", false);

    assertThat(settled("mobilenet").get("modelId").asText()).isEqualTo("mobilenet:1");
    assertThat(app.get("/api/models/mobilenet:1").body().get("sha256").asText()).isEqualTo(expectedSha256(folder));
  }

  @Test
  void aChangedCopy_registersVersionTwo() throws Exception {
    Path folder = ModelFolders.tinyClassifier(dir.resolve("tiny-v"));
    dropFolder(folder, "tiny-v", false);
    assertThat(settled("tiny-v").get("modelId").asText()).isEqualTo("tiny-v:1");

    Files.writeString(folder.resolve("labels.txt"), Files.readString(folder.resolve("labels.txt")).replace("class-0", "zero"));
    app.drop(StorageLayout.MODEL_UPLOADS, "tiny-v/labels.txt", Files.readAllBytes(folder.resolve("labels.txt")));

    JsonNode second = TestApp.await("version 2", Duration.ofSeconds(60), () -> {
      try {
        TestApp.Answer answer = app.get("/api/models/tiny-v:2");
        return answer.status() == 200 ? answer.body() : null;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    assertThat(second.get("sha256").asText()).isEqualTo(expectedSha256(folder));
    assertThat(app.get("/api/models/tiny-v").body().get("version").asInt()).isEqualTo(2);
  }

  @Test
  void aZipProcessedTwice_registersOnce() throws Exception {
    byte[] zip = packageBytes(ModelFolders.tinyClassifier(dir.resolve("twice")));
    app.drop(StorageLayout.MODEL_UPLOADS, "twice.zip", zip);
    JsonNode status = settled("twice");
    String etag = azurite.storage().container(StorageLayout.MODEL_UPLOADS).getBlobClient("twice.zip").getProperties().getETag();

    // The same blob version again, as a second host or a replayed trigger would deliver it.
    UploadStatus again = App.get().uploads().onBlob("twice.zip", "\"" + etag.replace("\"", "") + "\"", zip);

    assertThat(again.modelId()).isEqualTo(status.get("modelId").asText()).isEqualTo("twice:1");
    assertThat(app.get("/api/models?name=twice").body().get("value")).hasSize(1);
  }

  @Test
  void tenRegistrationsOfOneNameAtOnce_getVersionsOneToTen() throws Exception {
    for (int i = 0; i < 10; i++) {
      Path folder = ModelFolders.tinyClassifier(dir.resolve("ten-" + i));
      Files.writeString(folder.resolve("labels.txt"), "copy " + i + "\n" + Files.readString(folder.resolve("labels.txt"))
          .lines().skip(1).reduce((a, b) -> a + "\n" + b).orElseThrow());
      app.drop("incoming", "ten-" + i + ".zip", packageBytes(folder));
    }
    List<CompletableFuture<TestApp.Answer>> posts = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      Map<String, Object> body = Map.of("name", "ten", "blobPath", "incoming/ten-" + i + ".zip", "mimeType", "application/zip");
      posts.add(CompletableFuture.supplyAsync(() -> {
        try {
          return app.post("/api/models", body);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    }

    List<Integer> versions = new ArrayList<>();
    for (CompletableFuture<TestApp.Answer> post : posts) {
      TestApp.Answer answer = post.join();
      assertThat(answer.status()).as(answer.text()).isEqualTo(200);
      versions.add(answer.body().get("version").asInt());
    }
    assertThat(versions).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
  }

  @Test
  void everyPackageErrorDroppedAsABlob_isRefusedWithItsReasonInTheStatusAndAnEvent() throws Exception {
    Map<String, String> expected = new LinkedHashMap<>();
    Map<String, byte[]> uploads = new LinkedHashMap<>();
    Path folder = dir.resolve("bad");
    ModelFolders.model(folder, ModelKind.TINY, "tiny.onnx");
    ModelFolders.model(folder, ModelKind.TINY_FEATURIZER, "featurizer.onnx");
    byte[] tiny = Files.readAllBytes(folder.resolve("tiny.onnx"));
    byte[] featurizer = Files.readAllBytes(folder.resolve("featurizer.onnx"));
    String good = "{'pipeline': [" + IMAGE + ", {'type': 'onnx', 'model_path': 'tiny.onnx'}]}";

    uploads.put("bad-missing", zip(Map.of("service_def.json", json(good))));
    expected.put("bad-missing", "pipeline[1].model_path: file 'tiny.onnx' is not in the package");
    uploads.put("bad-escape", zip(Map.of("service_def.json", json(good), "tiny.onnx", tiny, "../evil.onnx", tiny)));
    expected.put("bad-escape", "entry '../evil.onnx' escapes the package root");
    Map<String, byte[]> many = new LinkedHashMap<>(Map.of("service_def.json", json(good), "tiny.onnx", tiny));
    for (int i = 0; i < 1000; i++) {
      many.put("filler/" + i, new byte[0]);
    }
    uploads.put("bad-many", zip(many));
    expected.put("bad-many", "holds 1002 entries, above the limit of 1000");
    uploads.put("bad-json", zip(Map.of("service_def.json", "{\"pipeline\": [,]}".getBytes(), "tiny.onnx", tiny)));
    expected.put("bad-json", "service_def.json: invalid JSON at line 1, column");
    uploads.put("bad-type", zip(Map.of("service_def.json", json("{'pipeline': [{'type': 'caffe'}]}"))));
    expected.put("bad-type", "pipeline[0].type: unknown stage type 'caffe'");
    uploads.put("bad-tensorflow", zip(Map.of("service_def.json", json("{'pipeline': ["
        + "{'type': 'tensorflow', 'model_path': 'frozen.pb'}]}"), "frozen.pb", tiny)));
    expected.put("bad-tensorflow", "pipeline[0].model_path: 'frozen.pb' is not a TensorFlow GraphDef");
    uploads.put("bad-two", zip(Map.of("service_def.json", json("{'pipeline': [" + IMAGE
        + ", {'type': 'brainwave', 'model_ref': 'a', 'model_version': '1'},"
        + " {'type': 'accelerated', 'model_ref': 'b', 'model_version': '1'}]}"))));
    expected.put("bad-two", "at most one accelerated stage per pipeline");
    uploads.put("bad-chain", zip(Map.of("service_def.json", json("{'pipeline': [" + IMAGE
        + ", {'type': 'onnx', 'model_path': 'featurizer.onnx'}, {'type': 'onnx', 'model_path': 'tiny.onnx'}]}"),
        "featurizer.onnx", featurizer, "tiny.onnx", tiny)));
    expected.put("bad-chain", "takes [batch, 3, 224, 224] but pipeline[1] produces [batch, 8]");
    uploads.put("bad-ref", zip(Map.of("service_def.json", json("{'pipeline': [" + IMAGE
        + ", {'type': 'brainwave', 'model_ref': 'resnet50', 'model_version': '1'}]}"))));
    expected.put("bad-ref", "pipeline[1].model_ref: 'resnet50/1' is not in the accelerated model catalog"
        + " (the accelerated-models container)");

    uploads.forEach((name, bytes) -> app.drop(StorageLayout.MODEL_UPLOADS, name + ".zip", bytes));

    for (Map.Entry<String, String> refusal : expected.entrySet()) {
      JsonNode status = settled(refusal.getKey());
      assertThat(status.get("state").asText()).as(refusal.getKey()).isEqualTo("Rejected");
      assertThat(status.get("reasons").toString()).as(refusal.getKey()).contains(refusal.getValue());
      assertThat(app.get("/api/models/" + refusal.getKey()).status()).as("not registered").isEqualTo(404);
      List<RecordedEvent> rejected = TestApp.events("RealtimeAI.ModelRejected", "/models/" + refusal.getKey());
      assertThat(rejected).as(refusal.getKey() + " ModelRejected").hasSize(1);
      assertThat(rejected.get(0).event().data().get("reasons").toString()).contains(refusal.getValue());
    }
  }

  @Test
  void aPackageNamingACatalogFeaturizer_registersAndIsRefusedWhenItsDimsDoNotMatch() throws Exception {
    Path folder = dir.resolve("catalog-head");
    ModelFolders.model(folder, ModelKind.TINY_HEAD, "head.onnx");
    ModelFolders.model(dir.resolve("catalog"), ModelKind.TINY_FEATURIZER, "featurizer.onnx");
    app.drop(StorageLayout.ACCELERATED_MODELS, "tinyfeat/1/model.onnx", Files.readAllBytes(dir.resolve("catalog/featurizer.onnx")));
    TestApp.await("the featurizer in the catalog", Duration.ofSeconds(30), () -> {
      try {
        JsonNode value = app.get("/api/accelerated-models").body().get("value");
        return value.size() == 1 && value.get(0).get("state").asText().equals("Valid") ? value : null;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    byte[] head = Files.readAllBytes(folder.resolve("head.onnx"));
    app.drop(StorageLayout.MODEL_UPLOADS, "with-featurizer.zip", zip(Map.of("head.onnx", head, "service_def.json",
        json("{'pipeline': [" + IMAGE + ", {'type': 'brainwave', 'model_ref': 'tinyfeat', 'model_version': '1',"
            + " 'output_tensor_dims': [8]}, {'type': 'onnx', 'model_path': 'head.onnx'}]}"))));
    app.drop(StorageLayout.MODEL_UPLOADS, "wrong-dims.zip", zip(Map.of("head.onnx", head, "service_def.json",
        json("{'pipeline': [" + IMAGE + ", {'type': 'brainwave', 'model_ref': 'tinyfeat', 'model_version': '1',"
            + " 'output_tensor_dims': [1, 1, 2048]}, {'type': 'onnx', 'model_path': 'head.onnx'}]}"))));

    JsonNode registered = settled("with-featurizer");
    JsonNode refused = settled("wrong-dims");

    assertThat(registered.get("state").asText()).isEqualTo("Registered");
    assertThat(app.get("/api/models/with-featurizer").body().get("stages"))
        .extracting(stage -> stage.get("type").asText()).containsExactly("image", "accelerated", "onnx");
    assertThat(refused.get("reasons").get(0).asText()).isEqualTo("pipeline[1].output_tensor_dims: [1, 1, 2048] does not"
        + " match output 'features' [batch, 8] of accelerated model 'tinyfeat/1' (the batch dimension is free)");
    assertThat(TestApp.events("RealtimeAI.ModelRejected", "/models/wrong-dims")).hasSize(1);
  }

  @Test
  void aFolderWhoseFilesNeverArrive_isRefusedAfterTheWaitListingThem() throws Exception {
    app.drop(StorageLayout.MODEL_UPLOADS, "orphan/service_def.json",
        json("{'pipeline': [" + IMAGE + ", {'type': 'onnx', 'model_path': 'never.onnx'}], 'labels': 'labels.txt'}"));

    JsonNode status = settled("orphan");

    assertThat(status.get("state").asText()).isEqualTo("Rejected");
    assertThat(status.get("reasons").get(0).asText()).contains("files that never arrived: labels.txt, never.onnx");
  }

  @Test
  void aFileThatIsNotAPackage_isRefusedSayingWhatToDrop() throws Exception {
    app.drop(StorageLayout.MODEL_UPLOADS, "notes.txt", "hello".getBytes());

    JsonNode status = settled("notes");

    assertThat(status.get("reasons").get(0).asText()).contains("not a package; drop a {name}.zip package");
  }

  @Test
  void deletingAModelAServiceRuns_isAConflict() throws Exception {
    app.drop(StorageLayout.MODEL_UPLOADS, "deployed.zip", packageBytes(ModelFolders.tinyClassifier(dir.resolve("deployed"))));
    String id = settled("deployed").get("modelId").asText();
    azurite.storage().table(StorageLayout.SERVICES_TABLE).createEntity(new TableEntity("services", "svc-deployed")
        .addProperty("Name", "deployed-svc").addProperty(ModelRegistry.SERVICE_MODEL_COLUMN, id).addProperty("State", "Succeeded"));

    TestApp.Answer refused = app.delete("/api/models/" + id);

    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.body().at("/error/code").asText()).isEqualTo("ModelInUse");
    assertThat(refused.body().at("/error/message").asText()).contains("deployed-svc");
    assertThat(app.get("/api/models/" + id).status()).isEqualTo(200);
  }

  @Test
  void modelApi_listsPagesReadsUpdatesAndDeletes() throws Exception {
    for (int i = 0; i < 3; i++) {
      Path folder = ModelFolders.tinyClassifier(dir.resolve("api-" + i));
      Files.writeString(folder.resolve("labels.txt"), Files.readString(folder.resolve("labels.txt")).replace("class-9", "n" + i));
      app.drop("incoming", "api-" + i + ".zip", packageBytes(folder));
      assertThat(app.post("/api/models", Map.of("name", "api", "blobPath", "incoming/api-" + i + ".zip",
          "description", "try " + i, "tags", Map.of("try", "" + i))).status()).isEqualTo(200);
    }

    JsonNode first = app.get("/api/models?name=api&top=2").body();
    assertThat(first.get("value")).extracting(m -> m.get("id").asText()).containsExactly("api:1", "api:2");
    JsonNode second = app.get(first.get("nextLink").asText()).body();
    assertThat(second.get("value")).extracting(m -> m.get("id").asText()).containsExactly("api:3");
    assertThat(second.get("nextLink").isNull()).isTrue();
    assertThat(app.get("/api/models/api?version=2").body().get("description").asText()).isEqualTo("try 1");

    TestApp.Answer patched = app.patch("/api/models/api:2", Map.of("description", "the one", "tags", Map.of("stage", "prod")));
    assertThat(patched.body().get("description").asText()).isEqualTo("the one");
    assertThat(patched.body().get("tags").get("stage").asText()).isEqualTo("prod");

    assertThat(app.delete("/api/models/api:1").status()).isEqualTo(204);
    assertThat(app.get("/api/models/api:1").status()).isEqualTo(404);
    assertThat(TestApp.events("RealtimeAI.ModelDeleted", "/models/api/versions/1")).hasSize(1);
  }

  @Test
  void modelApi_answersBadRequestsWithTheirReason() throws Exception {
    assertError(app.post("/api/models", Map.of("name", "x", "blobPath", "incoming/x.zip", "mimeType", "image/png")),
        415, "mimeType: 'image/png' is not a model package");
    assertError(app.post("/api/models", Map.of("name", "x", "blobPath", "a/b.zip", "url", "http://h/x.zip")),
        400, "url, blobPath: give exactly one");
    assertError(app.post("/api/models", Map.of("name", "x", "blobPath", "incoming/absent.zip")), 404, "does not exist");
    assertError(app.post("/api/models", Map.of("name", "bad name", "blobPath", "incoming/a.zip")), 400, "model name 'bad name'");
    assertError(app.post("/api/models", "{\"name\": \"x\", \"blobpath\": 1}"), 400, "body: unknown field 'blobpath'");
    assertError(app.post("/api/models", "{\"name\": "), 400, "body: invalid JSON at line 1");
    assertError(app.post("/api/models", Map.of("name", "x", "url", "ftp://h/x.zip")), 400, "must be http or https");
    assertError(app.get("/api/models/nothing:3"), 404, "model 'nothing:3' does not exist");
    assertError(app.get("/api/models?top=0"), 400, "top: must be a whole number from 1 to 1000");
    assertError(app.get("/api/uploads/nothing"), 404, "no upload named 'nothing'");
    assertError(app.patch("/api/models/nothing:1", Map.of()), 400, "give description and/or tags");
  }

  @Test
  void registerFromAUrl_downloadsCappedInSize() throws Exception {
    byte[] small = packageBytes(ModelFolders.tinyClassifier(dir.resolve("from-url")));
    com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/small.zip", exchange -> {
      exchange.sendResponseHeaders(200, small.length);
      exchange.getResponseBody().write(small);
      exchange.close();
    });
    server.createContext("/huge.zip", exchange -> {
      exchange.sendResponseHeaders(200, 0);
      byte[] chunk = new byte[64 * 1024];
      try (var out = exchange.getResponseBody()) {
        for (int i = 0; i < 64; i++) {
          out.write(chunk);
        }
      } catch (java.io.IOException ignored) {
        // the client stops reading at the cap
      }
    });
    server.start();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort();
      TestApp.Answer ok = app.post("/api/models", Map.of("name", "from-url", "url", base + "/small.zip"));
      assertThat(ok.status()).as(ok.text()).isEqualTo(200);
      assertThat(ok.body().get("sourceBlob").asText()).isEqualTo(base + "/small.zip");

      assertError(app.post("/api/models", Map.of("name", "from-url", "url", base + "/huge.zip")), 413,
          "sent more than the limit of 1048576 bytes");
      assertError(app.post("/api/models", Map.of("name", "from-url", "url", base + "/absent.zip")), 400, "answered 404");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void uploadCommand_dropsAFolderAndReportsItsRegistrationOrItsRefusal() throws Exception {
    Path folder = ModelFolders.tinyClassifier(dir.resolve("cli-upload"));
    String api = "http://localhost:" + app.host().httpPort();

    int registered = io.realtimeai.cli.Main.execute("upload", folder.toString(), "--api", api,
        "--connection", azurite.connectionString(), "--timeout", "60");
    Files.writeString(folder.resolve("service_def.json"), "{\"pipeline\": []}");
    int refused = io.realtimeai.cli.Main.execute("upload", folder.toString(), "--name", "cli-refused", "--api", api,
        "--connection", azurite.connectionString(), "--timeout", "60");

    assertThat(registered).isZero();
    assertThat(app.get("/api/models/cli-upload:1").status()).isEqualTo(200);
    assertThat(refused).isEqualTo(1);
    assertThat(settled("cli-refused").get("reasons").get(0).asText()).isEqualTo("pipeline: must hold at least one stage");
  }

  private static void assertError(TestApp.Answer answer, int status, String message) {
    assertThat(answer.status()).as(answer.text()).isEqualTo(status);
    assertThat(answer.body().at("/error/message").asText()).contains(message);
  }

  private static byte[] json(String text) {
    return text.replace('\'', '"').getBytes();
  }

  private static byte[] packageBytes(Path folder) throws Exception {
    Path zip = dir.resolve(folder.getFileName() + ".zip");
    ModelPackager.pack(folder, zip, AcceleratedCatalog.none());
    return Files.readAllBytes(zip);
  }

  private static byte[] zip(Map<String, byte[]> entries) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
        out.putNextEntry(new ZipEntry(entry.getKey()));
        out.write(entry.getValue());
        out.closeEntry();
      }
    }
    return bytes.toByteArray();
  }
}
