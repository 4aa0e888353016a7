package io.realtimeai.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.realtimeai.app.App;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestApp;
import io.realtimeai.testing.TestImages;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /api/services/{id}/score} and the results API through the local host on a real
 * Azurite, with generated models served by real {@code realtime-ai runtime} replicas: the answer
 * of each body form, every refusal with its status and reason, and what is (and is not) persisted.
 */
@Tag("integration")
class HttpScoringTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();

  @TempDir static Path dir;
  static TestApp app;
  static HttpScoringCalls calls;
  static String tinyModel;
  static String renamedModel;

  @BeforeAll
  static void start() throws Exception {
    app = TestApp.start(azurite, dir, TestApp.localReplicas(dir));
    calls = new HttpScoringCalls(app);
    tinyModel = calls.register("tiny", ModelFolders.tinyClassifier(dir.resolve("tiny")), dir);
    String multiModel = calls.register("multi", ModelFolders.tinyMulti(dir.resolve("multi")), dir);
    Path renamed = ModelFolders.tinyClassifier(dir.resolve("renamed"));
    Files.writeString(renamed.resolve("labels.txt"), Files.readString(renamed.resolve("labels.txt")).replace("class-1\n", "one\n"));
    renamedModel = calls.register("tiny", renamed, dir);
    List<String> operations = List.of(calls.create("tiny", tinyModel, "CPU"), calls.create("multi", multiModel, "CPU"),
        calls.create("moving", tinyModel, "CPU"), calls.create("rekeyed", tinyModel, "CPU"), calls.create("restarted", tinyModel, "CPU"));
    for (String operation : operations) {
      assertThat(calls.finished(operation)).isEqualTo("Succeeded");
    }
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
  }

  @Test
  void score_rawImage_answersTopLabelledClassesAndTimings() throws Exception {
    HttpScoringCalls.Answer answer = calls.post("/api/services/tiny/score?persist=false", "image/jpeg", TestImages.jpeg());

    assertThat(answer.status()).as(answer.text()).isEqualTo(200);
    JsonNode body = answer.body();
    assertThat(body.get("id").asText()).isNotBlank();
    assertThat(body.get("service").asText()).isEqualTo("tiny");
    assertThat(body.get("modelId").asText()).isEqualTo(tinyModel);
    assertThat(body.get("predictions")).hasSize(1);
    assertThat(body.get("predictions").get(0)).hasSize(5);
    JsonNode top = body.at("/predictions/0/0");
    assertThat(top.get("label").asText()).isEqualTo("class-" + top.get("index").asInt());
    assertThat(top.get("confidence").asDouble()).isBetween(0.0, 1.0);
    assertThat(body.at("/timings/runtimeMs").asDouble()).isPositive();
    assertThat(body.at("/timings/totalMs").asDouble()).isGreaterThanOrEqualTo(body.at("/timings/runtimeMs").asDouble());
    assertThat(body.has("outputs")).isFalse();
  }

  @Test
  void score_sameImagesAsRawMultipartAndJson_getTheSameAnswerPerImage() throws Exception {
    byte[] jpeg = TestImages.jpeg();
    byte[] png = TestImages.picture("png", 300, 200);
    byte[] gif = TestImages.picture("gif", 64, 64);

    JsonNode raw = calls.post("/api/services/tiny/score?persist=false", "image/png", png).body();
    HttpScoringCalls.Answer multipart = calls.multipart("tiny", "?persist=false", List.of(jpeg, png, gif));
    HttpScoringCalls.Answer json = calls.json("tiny", "?persist=false", List.of(jpeg, png, gif));
    HttpScoringCalls.Answer sniffed = calls.post("/api/services/tiny/score?persist=false", null, png);

    assertThat(multipart.status()).as(multipart.text()).isEqualTo(200);
    assertThat(json.status()).as(json.text()).isEqualTo(200);
    assertThat(multipart.body().get("predictions")).hasSize(3);
    assertThat(json.body().get("predictions")).isEqualTo(multipart.body().get("predictions"));
    assertThat(multipart.body().at("/predictions/1")).isEqualTo(raw.at("/predictions/0"));
    assertThat(sniffed.body().at("/predictions/0")).isEqualTo(raw.at("/predictions/0"));
  }

  @Test
  void score_byServiceId_answersUnderTheServiceName() throws Exception {
    String id = app.get("/api/services/tiny").body().get("id").asText();

    HttpScoringCalls.Answer answer = calls.post("/api/services/" + id + "/score?persist=false", "image/jpeg", TestImages.jpeg());

    assertThat(answer.status()).as(answer.text()).isEqualTo(200);
    assertThat(answer.body().get("service").asText()).isEqualTo("tiny");
  }

  @Test
  void score_top_isRespectedAndChecked() throws Exception {
    assertThat(calls.post("/api/services/tiny/score?top=3&persist=false", "image/jpeg", TestImages.jpeg()).body()
        .at("/predictions/0")).hasSize(3);
    assertThat(calls.post("/api/services/tiny/score?top=1&persist=false", "image/jpeg", TestImages.jpeg()).body()
        .at("/predictions/0")).hasSize(1);
    assertError(calls.post("/api/services/tiny/score?top=0", "image/jpeg", TestImages.jpeg()), 400,
        "top: must be a whole number from 1 to 100, got '0'");
    assertError(calls.post("/api/services/tiny/score?top=101", "image/jpeg", TestImages.jpeg()), 400, "top:");
    assertError(calls.post("/api/services/tiny/score?persist=maybe", "image/jpeg", TestImages.jpeg()), 400,
        "persist: must be true or false");
  }

  @Test
  void score_modelWithTwoOutputsAndNoLabels_answersNamedOutputs() throws Exception {
    HttpScoringCalls.Answer answer = calls.multipart("multi", "?persist=false", List.of(TestImages.jpeg(), TestImages.jpeg()));

    assertThat(answer.status()).as(answer.text()).isEqualTo(200);
    JsonNode outputs = answer.body().get("outputs");
    assertThat(answer.body().has("predictions")).isFalse();
    // the main output under its alias, the other under its own name
    assertThat(outputs.at("/output_alias/dtype").asText()).as(answer.text()).isEqualTo("DT_FLOAT");
    assertThat(outputs.at("/output_alias/shape").toString()).isEqualTo("[2,10]");
    assertThat(outputs.at("/output_alias/values")).hasSize(20);
    assertThat(outputs.at("/embedding/shape").toString()).isEqualTo("[2,3]");
    assertThat(outputs.at("/embedding/values")).hasSize(6);
  }

  @Test
  void score_afterAnUpdateToAnotherModel_labelsWithTheNewModelsLabels() throws Exception {
    assertThat(labels(calls.post("/api/services/moving/score?top=10&persist=false", "image/jpeg", TestImages.jpeg()).body()))
        .contains("class-1");

    TestApp.Answer accepted = app.put("/api/services/moving", Map.of("modelId", renamedModel));
    assertThat(accepted.status()).as(accepted.text()).isEqualTo(202);
    assertThat(calls.finished("/api/operations/" + accepted.body().get("id").asText())).isEqualTo("Succeeded");

    // The service's record is read again within seconds; until then the old replicas may still answer.
    JsonNode after = TestApp.await("an answer of the new model", Duration.ofSeconds(30), () -> {
      try {
        JsonNode body = calls.post("/api/services/moving/score?top=10&persist=false", "image/jpeg", TestImages.jpeg()).body();
        return body.path("modelId").asText().equals(renamedModel) ? body : null;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    assertThat(labels(after)).contains("one").doesNotContain("class-1");
  }

  private static List<String> labels(JsonNode answer) {
    List<String> labels = new java.util.ArrayList<>();
    answer.at("/predictions/0").forEach(p -> labels.add(p.get("label").asText()));
    return labels;
  }

  @Test
  void score_afterKeyRegeneration_readsTheNewKeyAndGoesOnScoring() throws Exception {
    String path = "/api/services/rekeyed/score?persist=false";
    assertThat(calls.post(path, "image/jpeg", TestImages.jpeg()).status()).isEqualTo(200);
    String old = app.get("/api/services/rekeyed/keys").body().get("primaryKey").asText();

    assertThat(app.post("/api/services/rekeyed/regenerateKeys", Map.of("keyType", "Primary")).status()).isEqualTo(200);
    JsonNode service = app.get("/api/services/rekeyed").body();
    try (PredictionClient withOld = PredictionClient.builder(service.get("ipAddress").asText() + ":"
        + service.get("port").asInt()).key(old).maxAttempts(1).build()) {
      TestApp.await("the replica to refuse the old key", Duration.ofSeconds(30), () -> {
        try {
          withOld.predictImages(List.of(TestImages.jpeg()));
          return null;
        } catch (StatusRuntimeException e) {
          return e.getStatus().getCode() == Status.Code.UNAUTHENTICATED ? true : null;
        }
      });
    }

    // The connection still holds the old key: the replica refuses it, the record is read again, the call goes through.
    HttpScoringCalls.Answer after = calls.post(path, "image/jpeg", TestImages.jpeg());
    assertThat(after.status()).as(after.text()).isEqualTo(200);
    assertThat(App.get().connections().connection("rekeyed", false).keys().primaryKey())
        .isEqualTo(app.get("/api/services/rekeyed/keys").body().get("primaryKey").asText())
        .isNotEqualTo(old);
  }

  @Test
  void score_afterItsReplicaRestartedWithKeysRegeneratedMeanwhile_answersWithTheNewKey() throws Exception {
    String path = "/api/services/restarted/score?persist=false";
    assertThat(calls.post(path, "image/jpeg", TestImages.jpeg()).status()).isEqualTo(200);
    JsonNode service = app.get("/api/services/restarted").body();
    Path replica = dir.resolve("replicas").resolve(service.get("id").asText())
        .resolve(service.get("replicas").get(0).get("id").asText());
    ProcessHandle process = ProcessHandle.of(Long.parseLong(Files.readString(replica.resolve("pid")).strip())).orElseThrow();

    process.destroyForcibly();
    process.onExit().get();
    String key = app.post("/api/services/restarted/regenerateKeys", Map.of("keyType", "Primary")).body()
        .get("primaryKey").asText();

    // Calls go on while the supervisor restarts the replica: 503 while none is ready, then answers on the new key.
    List<Integer> statuses = new java.util.ArrayList<>();
    TestApp.await("the restarted replica to answer", Duration.ofSeconds(60), () -> {
      try {
        int status = calls.post(path, "image/jpeg", TestImages.jpeg()).status();
        statuses.add(status);
        return status == 200 ? true : null;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    assertThat(statuses).as("nothing but 503 before the answer").allMatch(status -> status == 503 || status == 200);
    assertThat(App.get().connections().connection("restarted", false).keys().primaryKey()).isEqualTo(key);
  }

  @Test
  void score_unknownService_is404() throws Exception {
    assertError(calls.post("/api/services/no-such-service/score", "image/jpeg", TestImages.jpeg()), 404,
        "service 'no-such-service' does not exist");
  }

  @Test
  void score_serviceStillCreating_is503WithRetryAfter() throws Exception {
    String operation = calls.create("late", tinyModel, "CPU");

    HttpScoringCalls.Answer early = calls.post("/api/services/late/score", "image/jpeg", TestImages.jpeg());

    assertError(early, 503, "service 'late' has no ready replica (state Creating)");
    assertThat(early.body().at("/error/code").asText()).isEqualTo("ServiceUnavailable");
    assertThat(early.headers().get("Retry-After")).isEqualTo("2");
    calls.finished(operation);
    calls.delete("late");
  }

  @Test
  void score_serviceThatFailedToDeploy_is503WithRetryAfter() throws Exception {
    assertThat(calls.finished(calls.create("no-gpu", tinyModel, "GPU"))).isEqualTo("Failed");

    HttpScoringCalls.Answer answer = calls.post("/api/services/no-gpu/score", "image/jpeg", TestImages.jpeg());

    assertError(answer, 503, "service 'no-gpu' has no ready replica (state Failed)");
    assertThat(answer.headers().get("Retry-After")).isEqualTo("2");
    calls.delete("no-gpu");
  }

  @Test
  void score_textPlain_is415SayingWhatIsAccepted() throws Exception {
    HttpScoringCalls.Answer answer = calls.post("/api/services/tiny/score", "text/plain", "a cat".getBytes(StandardCharsets.UTF_8));

    assertError(answer, 415, "Content-Type 'text/plain' is not accepted: send image/jpeg");
    assertThat(answer.body().at("/error/code").asText()).isEqualTo("UnsupportedMediaType");
  }

  @Test
  void score_truncatedJpeg_is422WithTheRuntimesReason() throws Exception {
    HttpScoringCalls.Answer answer = calls.post("/api/services/tiny/score", "image/jpeg", TestImages.truncatedJpeg());

    assertError(answer, 422, "input 'images'[0]: truncated or corrupt JPEG");
    assertThat(answer.body().at("/error/code").asText()).isEqualTo("UnprocessableEntity");
    assertThat(calls.post("/api/services/tiny/score?persist=false", "image/jpeg", TestImages.jpeg()).status())
        .as("the service keeps serving").isEqualTo(200);
  }

  @Test
  void score_partAboveTheRuntimesMessageLimit_is413() throws Exception {
    byte[] huge = new byte[(int) ImageRequests.MAX_BYTES + 1];
    System.arraycopy(TestImages.jpeg(), 0, huge, 0, 3);

    assertError(calls.post("/api/services/tiny/score", "image/jpeg", huge), 413, "image 0 is 67108865 bytes, above the 67108864 bytes");
  }

  @Test
  void score_badBase64AndEmptyMultipart_are400() throws Exception {
    assertError(calls.post("/api/services/tiny/score", "application/json",
        "{\"images\": [\"/9j/\", \"%%%\"]}".getBytes(StandardCharsets.UTF_8)), 400, "images[1]: not valid base64");
    assertError(calls.post("/api/services/tiny/score", "multipart/form-data; boundary=" + HttpScoringCalls.BOUNDARY,
        HttpScoringCalls.form(new HttpScoringCalls.Field("note", null, null, "hi".getBytes(StandardCharsets.UTF_8)))), 400,
        "multipart body: no file part");
    assertError(calls.post("/api/services/tiny/score", "image/jpeg", new byte[0]), 400, "no image in the request");
  }

  @Test
  void score_persisted_isReadableListedAndAnnounced() throws Exception {
    HttpScoringCalls.Answer answer = calls.post("/api/services/tiny/score", "image/jpeg", TestImages.jpeg());
    assertThat(answer.status()).as(answer.text()).isEqualTo(200);
    String id = answer.body().get("id").asText();
    assertThat(answer.body().get("path").asText()).isEqualTo("http/" + id);

    TestApp.Answer stored = app.get("/api/results/tiny/http/" + id);
    assertThat(stored.status()).as(stored.text()).isEqualTo(200);
    assertThat(stored.body().get("id").asText()).isEqualTo(id);
    assertThat(stored.body().get("predictions")).isEqualTo(answer.body().get("predictions"));
    assertThat(stored.body().get("timings")).isEqualTo(answer.body().get("timings"));

    JsonNode listed = app.get("/api/results?service=tiny&top=1000").body();
    JsonNode row = null;
    for (JsonNode candidate : listed.get("value")) {
      if (candidate.get("path").asText().equals("http/" + id)) {
        row = candidate;
      }
    }
    assertThat(row).as(listed.toString()).isNotNull();
    assertThat(row.get("status").asText()).isEqualTo("Scored");
    assertThat(row.get("label").asText()).isEqualTo(answer.body().at("/predictions/0/0/label").asText());
    assertThat(row.get("resultId").asText()).isEqualTo(id);
    assertThat(TestApp.events("RealtimeAI.ImageScored", "/services/tiny/images/http/" + id)).hasSize(1);
  }

  @Test
  void score_persistFalse_writesNothing() throws Exception {
    long rows = App.get().storage().table(StorageLayout.RESULTS_TABLE).listEntities().stream().count();
    long documents = App.get().storage().container(StorageLayout.RESULTS).listBlobs().stream().count();
    long events = App.get().events().list(null, 1000, null).events().size();

    HttpScoringCalls.Answer answer = calls.post("/api/services/tiny/score?persist=false", "image/jpeg", TestImages.jpeg());

    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.body().has("path")).isFalse();
    assertThat(App.get().storage().table(StorageLayout.RESULTS_TABLE).listEntities().stream().count()).isEqualTo(rows);
    assertThat(App.get().storage().container(StorageLayout.RESULTS).listBlobs().stream().count()).isEqualTo(documents);
    assertThat(App.get().events().list(null, 1000, null).events()).hasSize((int) events);
    assertError(calls.post("/api/services/tiny/score?persist=false", "text/plain", new byte[] {1}), 415, "text/plain");
    assertThat(app.get("/api/results/tiny/http/" + answer.body().get("id").asText()).status()).isEqualTo(404);
  }

  @Test
  void results_arePagedAndFilteredBySince() throws Exception {
    calls.post("/api/services/multi/score", "image/jpeg", TestImages.jpeg());
    calls.post("/api/services/multi/score", "image/jpeg", TestImages.jpeg());
    calls.post("/api/services/multi/score", "image/jpeg", TestImages.jpeg());

    JsonNode first = app.get("/api/results?service=multi&top=2").body();
    JsonNode second = app.get(first.get("nextLink").asText()).body();
    JsonNode later = app.get("/api/results?service=multi&since=2999-01-01T00:00:00Z").body();
    JsonNode earlier = app.get("/api/results?service=multi&since=2000-01-01T00:00:00%2B01:00").body();

    assertThat(first.get("value")).hasSize(2);
    assertThat(second.get("value")).hasSize(1);
    assertThat(second.get("nextLink").isNull()).isTrue();
    assertThat(later.get("value")).isEmpty();
    assertThat(earlier.get("value")).hasSize(3);
    assertThat(first.at("/value/0/label").isNull()).as("named outputs have no label").isTrue();
  }

  @Test
  void results_badQueriesAre400AndAMissingResultIs404() throws Exception {
    assertError(app.get("/api/results"), 400, "service: required");
    assertError(app.get("/api/results?service=tiny&since=yesterday"), 400, "since: 'yesterday' is not an ISO-8601 instant");
    assertError(app.get("/api/results?service=tiny&top=0"), 400, "top: must be a whole number from 1 to 1000");
    assertError(app.get("/api/results/tiny/http/no-such-result"), 404, "no result for image 'http/no-such-result' of service 'tiny'");
    assertError(app.get("/api/results/tiny"), 400, "path: required");
  }

  private static void assertError(HttpScoringCalls.Answer answer, int status, String message) {
    assertThat(answer.status()).as(answer.text()).isEqualTo(status);
    assertThat(answer.message()).contains(message);
  }

  private static void assertError(TestApp.Answer answer, int status, String message) {
    assertThat(answer.status()).as(answer.text()).isEqualTo(status);
    assertThat(answer.body().at("/error/message").asText()).contains(message);
  }
}
