package io.realtimeai.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.realtimeai.app.App;
import io.realtimeai.client.Prediction;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.events.RecordedEvent;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.Fixtures;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestApp;
import io.realtimeai.testing.TestImages;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drop-a-folder scoring through the generated app on the local host, on a real Azurite, with
 * replicas as real {@code realtime-ai runtime} processes: images dropped into
 * {@code images/{service}/…} end as exactly one result per image version, in batches.
 */
@Tag("integration")
class FolderScoringTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  private static final Duration DEPLOY = Duration.ofSeconds(90);
  private static final Duration SCORE = Duration.ofSeconds(60);

  @TempDir static Path dir;
  static TestApp app;

  @BeforeAll
  static void start() throws Exception {
    app = TestApp.start(azurite, dir, TestApp.localReplicas(dir));
    String tiny = app.register("tiny", ModelFolders.tinyClassifier(dir.resolve("tiny")), dir);
    List<String> operations = new ArrayList<>();
    operations.add(app.createService(Map.of("name", "tiny", "modelId", tiny, "computeType", "CPU", "numReplicas", 1)));
    operations.add(app.createService(Map.of("name", "pair", "modelId", tiny, "computeType", "CPU", "numReplicas", 2)));
    if (Fixtures.available()) {
      String mobilenet = app.register("mobilenet", Fixtures.mobilenetFolder(dir.resolve("mobilenet")), dir);
      operations.add(app.createService(Map.of("name", "mobilenet", "modelId", mobilenet, "computeType", "CPU")));
    }
    for (String operation : operations) {
      JsonNode done = app.awaitJson(operation, DEPLOY, body -> !List.of("NotStarted", "Running").contains(body.get("state").asText()));
      assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("Succeeded");
    }
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
  }

  @AfterEach
  void nothingPoisoned() {
    assertThat(poisoned(StorageLayout.SCORING_QUEUE + "-poison")).isEmpty();
    assertThat(poisoned(StorageLayout.BLOB_POISON_QUEUE)).isEmpty();
  }

  @Test
  void folderOf200Images_getsExactly200ResultsScoredInBatches() throws Exception {
    PredictBatcher.Stats before = batcher().stats();
    Map<String, byte[]> images = pictures("batch", 200);

    images.forEach((path, bytes) -> app.drop(StorageLayout.IMAGES, "tiny/" + path, bytes));

    awaitRows("tiny", "batch/", 200);
    awaitQueueEmpty();
    assertThat(documents("tiny/batch/")).hasSize(200);
    List<RecordedEvent> scored = TestApp.eventsUnder("RealtimeAI.ImageScored", "/services/tiny/images/batch/");
    assertThat(scored).hasSize(200);
    assertThat(scored.stream().map(e -> e.event().id()).distinct()).hasSize(200);
    Map<String, List<Prediction>> expected = referenceAnswers("tiny", images);
    for (String path : images.keySet()) {
      ScoreResult result = App.get().results().get("tiny", path);
      assertThat(result.status()).isEqualTo("Scored");
      assertThat(result.etag()).isEqualTo(etag("tiny/" + path));
      assertSame(result.predictions().get(0), expected.get(path));
    }
    PredictBatcher.Stats after = batcher().stats();
    assertThat(after.largestBatch()).as("some Predict call carried several images").isGreaterThan(1);
    assertThat(after.calls() - before.calls()).as("fewer Predict calls than images").isLessThan(200);
  }

  @Test
  void imageTooLargeToRideInItsJob_isReadByTheScorerAndScoredAsAlone() throws Exception {
    byte[] large = io.realtimeai.bench.Benchmark.photoLikeJpeg(900, 700, 5);
    byte[] small = picture(77);
    assertThat(large.length).isGreaterThan(ScoringJob.MAX_INLINE_BYTES);
    assertThat(small.length).isLessThanOrEqualTo(ScoringJob.MAX_INLINE_BYTES);

    app.drop(StorageLayout.IMAGES, "tiny/sizes/large.jpg", large);
    app.drop(StorageLayout.IMAGES, "tiny/sizes/small.jpg", small);

    awaitRows("tiny", "sizes/", 2);
    Map<String, List<Prediction>> expected = referenceAnswers("tiny", Map.of("sizes/large.jpg", large,
        "sizes/small.jpg", small));
    for (String path : List.of("sizes/large.jpg", "sizes/small.jpg")) {
      ScoreResult result = App.get().results().get("tiny", path);
      assertThat(result.status()).as(path).isEqualTo("Scored");
      assertSame(result.predictions().get(0), expected.get(path));
    }
  }

  @Test
  void corruptJpeg_getsOneFailedResultAndIsNotRetried() throws Exception {
    // A test before may end on its rows, before its jobs counted their outcomes.
    awaitQueueEmpty();
    long attemptsBefore = App.get().folderScoring().attempts();
    double scoredBefore = folderJobs("scored");
    double failedBefore = folderJobs("failed");
    Map<String, byte[]> good = pictures("mixed", 8);
    good.forEach((path, bytes) -> app.drop(StorageLayout.IMAGES, "tiny/" + path, bytes));
    app.drop(StorageLayout.IMAGES, "tiny/mixed/corrupt.jpg", TestImages.truncatedJpeg());

    awaitRows("tiny", "mixed/", 9);
    awaitQueueEmpty();
    assertThat(App.get().folderScoring().attempts() - attemptsBefore).as("one attempt per job").isEqualTo(9);
    assertThat(folderJobs("scored") - scoredBefore).as("realtime_ai_folder_jobs_total{outcome=scored}").isEqualTo(8);
    assertThat(folderJobs("failed") - failedBefore).as("realtime_ai_folder_jobs_total{outcome=failed}").isEqualTo(1);

    ScoreResult corrupt = App.get().results().get("tiny", "mixed/corrupt.jpg");
    assertThat(corrupt.status()).isEqualTo("Failed");
    assertThat(corrupt.error().code()).isEqualTo("UnprocessableEntity");
    assertThat(corrupt.error().message()).contains("input 'images'");
    assertThat(corrupt.predictions()).isNull();
    assertThat(TestApp.eventsUnder("RealtimeAI.ImageScoringFailed", "/services/tiny/images/mixed/")).singleElement()
        .satisfies(e -> assertThat(e.event().subject()).isEqualTo("/services/tiny/images/mixed/corrupt.jpg"));
    assertThat(TestApp.eventsUnder("RealtimeAI.ImageScored", "/services/tiny/images/mixed/")).hasSize(8);
    for (String path : good.keySet()) {
      assertThat(App.get().results().get("tiny", path).status()).as(path).isEqualTo("Scored");
    }
  }

  @Test
  void emptyAndOversizedImages_getFailedResultsAndAreNotRetried() throws Exception {
    long attemptsBefore = App.get().folderScoring().attempts();
    byte[] huge = new byte[(int) ImageRequests.MAX_BYTES + 1];
    System.arraycopy(picture(8), 0, huge, 0, 100);
    app.drop(StorageLayout.IMAGES, "tiny/limits/empty.jpg", new byte[0]);
    app.drop(StorageLayout.IMAGES, "tiny/limits/huge.jpg", huge);

    awaitRows("tiny", "limits/", 2);
    awaitQueueEmpty();

    assertThat(App.get().folderScoring().attempts() - attemptsBefore).as("one attempt per job").isEqualTo(2);
    ScoreResult empty = App.get().results().get("tiny", "limits/empty.jpg");
    assertThat(empty.status()).isEqualTo("Failed");
    assertThat(empty.error().code()).isEqualTo("UnprocessableEntity");
    ScoreResult tooLarge = App.get().results().get("tiny", "limits/huge.jpg");
    assertThat(tooLarge.status()).isEqualTo("Failed");
    assertThat(tooLarge.error().code()).isEqualTo("PayloadTooLarge");
    assertThat(tooLarge.error().message()).contains("images/tiny/limits/huge.jpg is larger than 64 MiB");
    assertThat(TestApp.eventsUnder("RealtimeAI.ImageScoringFailed", "/services/tiny/images/limits/")).hasSize(2);
  }

  @Test
  void replicaKilledWhileScoring_losesNothingAndScoresNothingTwice() throws Exception {
    Map<String, byte[]> images = pictures("kill", 200);
    List<String> paths = new ArrayList<>(images.keySet());
    JsonNode service = app.get("/api/services/pair").body();
    Path replica = dir.resolve("replicas").resolve(service.get("id").asText())
        .resolve(service.get("replicas").get(0).get("id").asText());
    ProcessHandle process = ProcessHandle.of(Long.parseLong(Files.readString(replica.resolve("pid")).strip())).orElseThrow();

    paths.subList(0, 100).forEach(path -> app.drop(StorageLayout.IMAGES, "pair/" + path, images.get(path)));
    TestApp.await("a first result of pair/kill/", SCORE, () -> rows("pair", "kill/").isEmpty() ? null : true);
    process.destroyForcibly();
    process.onExit().get();
    paths.subList(100, 200).forEach(path -> app.drop(StorageLayout.IMAGES, "pair/" + path, images.get(path)));

    List<ResultStore.Row> rows = awaitRows("pair", "kill/", 200);
    awaitQueueEmpty();
    assertThat(rows.stream().map(ResultStore.Row::path).collect(Collectors.toSet())).isEqualTo(images.keySet());
    assertThat(rows).allSatisfy(row -> assertThat(row.status()).isEqualTo("Scored"));
    assertThat(documents("pair/kill/")).hasSize(200);
    List<RecordedEvent> scored = TestApp.eventsUnder("RealtimeAI.ImageScored", "/services/pair/images/kill/");
    assertThat(scored.stream().map(e -> e.event().id()).distinct()).hasSize(200);
    assertThat(scored.stream().map(e -> e.event().subject()).distinct()).hasSize(200);
    assertThat(scored).hasSize(200);
  }

  @Test
  void sameVersionIsScoredOnce_andEveryNewVersionAgain() throws Exception {
    byte[] first = picture(1);
    app.drop(StorageLayout.IMAGES, "tiny/versions/cat.jpg", first);
    String v1 = etag("tiny/versions/cat.jpg");
    awaitVersion("versions/cat.jpg", v1);

    // The same job delivered twice (a retried trigger, two hosts): the version has its result already.
    App.get().folderScoring().enqueue(new ScoringJob("tiny", "versions/cat.jpg", v1));
    awaitQueueEmpty();
    assertThat(versionsAnnounced("versions/cat.jpg")).containsExactly(v1);

    app.drop(StorageLayout.IMAGES, "tiny/versions/cat.jpg", first);
    String v2 = etag("tiny/versions/cat.jpg");
    awaitVersion("versions/cat.jpg", v2);
    ScoreResult sameBytes = App.get().results().get("tiny", "versions/cat.jpg");

    app.drop(StorageLayout.IMAGES, "tiny/versions/cat.jpg", picture(150));
    String v3 = etag("tiny/versions/cat.jpg");
    awaitVersion("versions/cat.jpg", v3);
    ScoreResult newBytes = App.get().results().get("tiny", "versions/cat.jpg");

    // A job for a version that was overwritten since: dropped, its successor's result stands.
    App.get().folderScoring().enqueue(new ScoringJob("tiny", "versions/cat.jpg", v1));
    awaitQueueEmpty();

    assertThat(versionsAnnounced("versions/cat.jpg")).containsExactlyInAnyOrder(v1, v2, v3);
    assertThat(TestApp.eventsUnder("RealtimeAI.ImageScored", "/services/tiny/images/versions/").stream().map(e -> e.event().id())
        .distinct()).hasSize(3);
    assertThat(App.get().results().list("tiny", null, 1000, null).value().stream()
        .filter(row -> row.path().equals("versions/cat.jpg"))).singleElement()
        .satisfies(row -> assertThat(row.etag()).isEqualTo(v3));
    assertThat(sameBytes.etag()).isEqualTo(v2);
    assertThat(newBytes.etag()).isEqualTo(v3);
    assertThat(newBytes.predictions().get(0).get(0).confidence())
        .isNotEqualTo(sameBytes.predictions().get(0).get(0).confidence());
  }

  @Test
  void runThatStoppedAfterTheRow_isCompletedByTheJobsNextDelivery() throws Exception {
    app.drop(StorageLayout.IMAGES, "tiny/crash/dog.jpg", picture(21));
    String version = etag("tiny/crash/dog.jpg");
    awaitVersion("crash/dog.jpg", version);
    awaitQueueEmpty();
    // As if the scorer had stopped after the row, before the document: the row stands alone.
    app.storage().container(StorageLayout.RESULTS).getBlobClient("tiny/crash/dog.jpg.json").delete();
    assertThat(App.get().results().find("tiny", "crash/dog.jpg")).isEmpty();

    App.get().folderScoring().enqueue(new ScoringJob("tiny", "crash/dog.jpg", version));
    ScoreResult completed = TestApp.await("the document of tiny/crash/dog.jpg again", SCORE,
        () -> App.get().results().find("tiny", "crash/dog.jpg").orElse(null));
    awaitQueueEmpty();

    assertThat(completed.etag()).isEqualTo(version);
    assertThat(completed.status()).isEqualTo("Scored");
    assertThat(completed.id()).isEqualTo(ResultStore.resultId("tiny", "crash/dog.jpg", version));
    assertThat(TestApp.eventsUnder("RealtimeAI.ImageScored", "/services/tiny/images/crash/dog.jpg")).hasSize(1);
  }

  @Test
  void nestedFolders_belongToTheFirstFolder() throws Exception {
    app.drop(StorageLayout.IMAGES, "tiny/2026/11/21/deep cat #1.jpg", picture(33));

    ScoreResult result = TestApp.await("the result of tiny/2026/11/21/deep cat #1.jpg", SCORE,
        () -> App.get().results().find("tiny", "2026/11/21/deep cat #1.jpg").orElse(null));
    awaitQueueEmpty();

    assertThat(result.status()).isEqualTo("Scored");
    assertThat(result.service()).isEqualTo("tiny");
    TestApp.Answer read = app.get("/api/results/tiny/2026/11/21/deep%20cat%20%231.jpg");
    assertThat(read.status()).as(read.text()).isEqualTo(200);
    assertThat(read.body().get("path").asText()).isEqualTo("2026/11/21/deep cat #1.jpg");
  }

  @Test
  void imageUnderNoServiceFolder_isParkedInBlobPoisonWithTheReason() throws Exception {
    app.drop(StorageLayout.IMAGES, "loose.jpg", picture(5));

    List<String> poison = TestApp.await("images/loose.jpg in " + StorageLayout.BLOB_POISON_QUEUE, SCORE,
        () -> poisoned(StorageLayout.BLOB_POISON_QUEUE).isEmpty() ? null : poisoned(StorageLayout.BLOB_POISON_QUEUE));
    JsonNode parked = new com.fasterxml.jackson.databind.ObjectMapper().readTree(poison.get(0));
    assertThat(parked.get("FunctionId").asText()).isEqualTo("Host.Functions.ImageDrop");
    assertThat(parked.get("BlobName").asText()).isEqualTo("loose.jpg");
    assertThat(parked.get("Reason").asText()).contains("images/loose.jpg is not under a service's folder");
    app.storage().queue(StorageLayout.BLOB_POISON_QUEUE).clearMessages();
  }

  @Test
  void imageUnderAnUnknownService_getsAFailedResultNamingTheService() throws Exception {
    app.drop(StorageLayout.IMAGES, "ghost/where.jpg", picture(3));

    ScoreResult result = TestApp.await("the result of ghost/where.jpg", SCORE,
        () -> App.get().results().find("ghost", "where.jpg").orElse(null));
    awaitQueueEmpty();

    assertThat(result.status()).isEqualTo("Failed");
    assertThat(result.error().code()).isEqualTo("NotFound");
    assertThat(result.error().message()).contains("service 'ghost' does not exist");
    assertThat(TestApp.eventsUnder("RealtimeAI.ImageScoringFailed", "/services/ghost/images/where.jpg")).hasSize(1);
  }

  @Test
  void serviceThatCannotAnswer_isRetriedThenParkedInScoringPoisonWithItsReason() throws Exception {
    // A CPU-only ONNX Runtime cannot start a GPU replica: the service exists but never has a ready replica.
    TestApp.Answer model = app.get("/api/models?name=tiny");
    String modelId = model.body().get("value").get(0).get("id").asText();
    JsonNode failed = app.awaitJson(app.createService(Map.of("name", "down", "modelId", modelId, "computeType", "GPU")), DEPLOY,
        body -> !List.of("NotStarted", "Running").contains(body.get("state").asText()));
    assertThat(failed.get("state").asText()).isEqualTo("Failed");

    double failedAttemptsBefore = folderJobs("attempt_failed");
    app.drop(StorageLayout.IMAGES, "down/waiting.jpg", picture(7));

    List<String> poison = TestApp.await("the job of down/waiting.jpg in scoring-poison", Duration.ofSeconds(90),
        () -> poisoned(StorageLayout.SCORING_QUEUE + "-poison").isEmpty() ? null : poisoned(StorageLayout.SCORING_QUEUE + "-poison"));
    JsonNode parked = new com.fasterxml.jackson.databind.ObjectMapper().readTree(poison.get(0));
    assertThat(parked.get("dequeueCount").asInt()).isEqualTo(5);
    assertThat(folderJobs("attempt_failed") - failedAttemptsBefore).as("every attempt counted, the last one too")
        .isEqualTo(5);
    assertThat(parked.get("function").asText()).isEqualTo("ScoringJob");
    assertThat(parked.get("reason").asText()).contains("service 'down' has no ready replica");
    assertThat(parked.get("body").asText()).contains("\"path\":\"waiting.jpg\"");
    assertThat(App.get().results().find("down", "waiting.jpg")).as("no result for a job that was not scored").isEmpty();
    app.storage().queue(StorageLayout.SCORING_QUEUE + "-poison").clearMessages();

    // A job delivered again for a version that has its result (a host stopped before deleting the
    // message) is settled while the service cannot answer, not retried into poison.
    app.drop(StorageLayout.IMAGES, "down/recorded.jpg", picture(8));
    String version = etag("down/recorded.jpg");
    App.get().results().record(new ScoreResult(ResultStore.resultId("down", "recorded.jpg", version), "down", modelId,
        "recorded.jpg", version, java.time.Instant.now(), "Scored", List.of(List.of(new Prediction(1, "one", 0.9f))), null,
        null, new ScoreResult.Timings(1, 1)), () -> true);
    assertThat(App.get().folderScoring().score(new ScoringJob("down", "recorded.jpg", version)).kind())
        .isEqualTo(FolderScoring.Outcome.Kind.ALREADY_SCORED);
    awaitQueueEmpty();
    assertThat(poisoned(StorageLayout.SCORING_QUEUE + "-poison")).isEmpty();
    assertThat(app.delete("/api/services/down").status()).isEqualTo(202);
  }

  @Test
  void dropCommand_dropsAFolderAndPrintsEachResult() throws Exception {
    Path folder = dir.resolve("to-drop");
    Files.createDirectories(folder.resolve("sub"));
    Files.write(folder.resolve("a.jpg"), picture(11));
    Files.write(folder.resolve("sub/b.jpg"), picture(12));
    Files.write(folder.resolve("broken.jpg"), TestImages.truncatedJpeg());
    String api = "http://localhost:" + app.host().httpPort();

    Cli ok = cli("drop", "tiny", folder.resolve("a.jpg").toString(), folder.resolve("sub").toString(), "--folder", "cli",
        "--api", api, "--connection", azurite.connectionString());
    Cli bad = cli("drop", "tiny", folder.resolve("broken.jpg").toString(), "--folder", "cli", "--api", api,
        "--connection", azurite.connectionString());
    Cli missing = cli("drop", "tiny", folder.resolve("absent.jpg").toString(), "--api", api);

    assertThat(ok.code()).as(ok.out()).isZero();
    assertThat(ok.out()).contains("dropping 2 image(s) into images/tiny/cli/", "cli/a.jpg", "cli/b.jpg", "class-",
        "2 result(s) in results/tiny/cli/");
    assertThat(App.get().results().get("tiny", "cli/b.jpg").status()).isEqualTo("Scored");
    assertThat(bad.code()).as(bad.out()).isEqualTo(1);
    assertThat(bad.out()).contains("cli/broken.jpg", "Failed: input 'images'[0]: truncated or corrupt JPEG");
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).contains("no such file or folder: " + folder.resolve("absent.jpg"));
    awaitQueueEmpty();
  }

  private record Cli(int code, String out, String err) {}

  private static Cli cli(String... args) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    java.io.PrintStream stdout = System.out;
    java.io.PrintStream stderr = System.err;
    System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      int code = io.realtimeai.cli.Main.execute(args);
      return new Cli(code, out.toString(java.nio.charset.StandardCharsets.UTF_8), err.toString(java.nio.charset.StandardCharsets.UTF_8));
    } finally {
      System.setOut(stdout);
      System.setErr(stderr);
    }
  }

  @Test
  void fixturePhotos_getTheirDocumentedTopClass() throws Exception {
    Path photos = Fixtures.imagenet();
    Map<String, Integer> expected = Map.of("imagenet_finch.jpeg", 12, "winml_kitten_224.png", 281, "winml_fish.png", 0);
    for (String photo : expected.keySet()) {
      app.drop(StorageLayout.IMAGES, "mobilenet/photos/" + photo, Files.readAllBytes(photos.resolve(photo)));
    }

    awaitRows("mobilenet", "photos/", 3);

    expected.forEach((photo, index) -> {
      ScoreResult result = App.get().results().get("mobilenet", "photos/" + photo);
      assertThat(result.predictions().get(0)).as(photo).hasSize(FolderScoring.TOP);
      assertThat(result.predictions().get(0).get(0).index()).as(photo).isEqualTo(index);
    });
    assertThat(App.get().results().get("mobilenet", "photos/imagenet_finch.jpeg").predictions().get(0).get(0).label())
        .isEqualTo("house finch");
  }

  private static PredictBatcher batcher() {
    return App.get().folderScoring().batcher();
  }

  /** {@code count} distinct small JPEGs under {@code folder/}, by path. */
  private static Map<String, byte[]> pictures(String folder, int count) {
    Map<String, byte[]> images = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      images.put(String.format("%s/%04d.jpg", folder, i), picture(i));
    }
    return images;
  }

  /** A 32×32 JPEG of one colour picked by {@code n}: the tiny model answers distinct colours distinctly. */
  private static byte[] picture(int n) {
    BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D g = image.createGraphics();
    g.setColor(new Color((n * 53) % 256, (n * 97 + 40) % 256, (n * 151 + 80) % 256));
    g.fillRect(0, 0, 32, 32);
    g.dispose();
    return TestImages.encode(image, "jpg");
  }

  /** What the service answers each image when called directly, a batch at a time. */
  private static Map<String, List<Prediction>> referenceAnswers(String name, Map<String, byte[]> images) throws Exception {
    JsonNode service = app.get("/api/services/" + name).body();
    String key = app.get("/api/services/" + name + "/keys").body().get("primaryKey").asText();
    List<String> paths = new ArrayList<>(images.keySet());
    Map<String, List<Prediction>> answers = new LinkedHashMap<>();
    try (PredictionClient client = PredictionClient.builder(service.get("ipAddress").asText() + ":"
        + service.get("port").asInt()).key(key).build()) {
      for (int from = 0; from < paths.size(); from += 50) {
        List<String> chunk = paths.subList(from, Math.min(paths.size(), from + 50));
        List<List<Prediction>> top = client.classify(chunk.stream().map(images::get).toList(), FolderScoring.TOP);
        for (int i = 0; i < chunk.size(); i++) {
          answers.put(chunk.get(i), top.get(i));
        }
      }
    }
    return answers;
  }

  /** {@code realtime_ai_folder_jobs_total{outcome}} so far in this process. */
  private static double folderJobs(String outcome) {
    var counter = io.micrometer.core.instrument.Metrics.globalRegistry.find("realtime_ai.folder.jobs")
        .tag("outcome", outcome).counter();
    return counter == null ? 0 : counter.count();
  }

  private static void assertSame(List<Prediction> actual, List<Prediction> expected) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < expected.size(); i++) {
      assertThat(actual.get(i).index()).isEqualTo(expected.get(i).index());
      assertThat(actual.get(i).label()).isEqualTo(expected.get(i).label());
      assertThat(actual.get(i).confidence()).isCloseTo(expected.get(i).confidence(), within(1e-5f));
    }
  }

  private static String etag(String blob) {
    String etag = app.storage().container(StorageLayout.IMAGES).getBlobClient(blob).getProperties().getETag();
    return etag.startsWith("\"") ? etag : "\"" + etag + "\"";
  }

  /** The result rows of {@code service} under {@code prefix}. */
  private static List<ResultStore.Row> rows(String service, String prefix) {
    List<ResultStore.Row> all = new ArrayList<>();
    String continuation = null;
    do {
      ResultStore.Page page = App.get().results().list(service, null, 1000, continuation);
      page.value().stream().filter(row -> row.path().startsWith(prefix)).forEach(all::add);
      continuation = page.continuation();
    } while (continuation != null);
    return all;
  }

  /** The result rows of {@code service} under {@code prefix}, once there are {@code count} of them (and no more). */
  private static List<ResultStore.Row> awaitRows(String service, String prefix, int count) throws InterruptedException {
    List<ResultStore.Row> found = TestApp.await(count + " results of " + service + "/" + prefix, SCORE, () -> {
      List<ResultStore.Row> now = rows(service, prefix);
      return now.size() >= count ? now : null;
    });
    assertThat(found).as("results of " + service + "/" + prefix).hasSize(count);
    return found;
  }

  private static void awaitVersion(String path, String etag) throws InterruptedException {
    TestApp.await("the result of tiny/" + path + " version " + etag, SCORE, () -> App.get().results().has("tiny", path, etag)
        && App.get().results().find("tiny", path).filter(r -> r.etag().equals(etag)).isPresent() ? true : null);
  }

  /** The versions of an image that got an {@code ImageScored} event. */
  private static List<String> versionsAnnounced(String path) {
    return TestApp.eventsUnder("RealtimeAI.ImageScored", "/services/tiny/images/" + path).stream()
        .map(e -> e.event().data().get("etag").asText()).toList();
  }

  /** Waits until the scoring queue holds no message, visible or not: every job settled. */
  private static void awaitQueueEmpty() throws InterruptedException {
    TestApp.await("the scoring queue to drain", SCORE, () -> app.storage().queue(StorageLayout.SCORING_QUEUE)
        .getProperties().getApproximateMessagesCount() == 0 ? true : null);
  }

  private static List<String> poisoned(String queue) {
    List<String> messages = new ArrayList<>();
    app.storage().queue(queue).peekMessages(32, null, null).forEach(m -> messages.add(m.getBody().toString()));
    return messages;
  }

  private static List<String> documents(String prefix) {
    Set<String> names = new HashSet<>();
    app.storage().container(StorageLayout.RESULTS)
        .listBlobs(new com.azure.storage.blob.models.ListBlobsOptions().setPrefix(prefix), null)
        .forEach(blob -> names.add(blob.getName()));
    return List.copyOf(names);
  }
}
