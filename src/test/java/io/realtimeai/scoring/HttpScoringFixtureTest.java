package io.realtimeai.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.realtimeai.app.App;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.Fixtures;
import io.realtimeai.testing.TestApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real pretrained classifier of the fixtures behind {@code POST /api/services/{id}/score}:
 * real photographs get their documented ImageNet classes whichever way the body carries them,
 * and each call's result is stored, listed and announced. Skipped where the fixtures are absent.
 */
@Tag("integration")
class HttpScoringFixtureTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();

  /** The photos, in the order of {@link #TOP1}. */
  private static final List<String> PHOTOS = List.of("imagenet_finch.jpeg", "winml_kitten_224.png", "winml_fish.png");
  private static final List<Integer> TOP1 = List.of(12, 281, 0);
  private static final List<String> LABELS = List.of("house finch", "tabby", "tench");
  private static final int MILITARY_UNIFORM = 652;

  @TempDir static Path dir;
  static TestApp app;
  static HttpScoringCalls calls;
  static List<byte[]> photos;
  static byte[] hopper;

  @BeforeAll
  static void start() throws Exception {
    Path folder = Fixtures.mobilenetFolder(dir.resolve("mobilenet"));
    photos = new ArrayList<>();
    for (String photo : PHOTOS) {
      photos.add(Files.readAllBytes(Fixtures.imagenet().resolve(photo)));
    }
    hopper = Files.readAllBytes(Fixtures.imagenet().resolve("grace_hopper.jpg"));
    app = TestApp.start(azurite, dir, TestApp.localReplicas(dir));
    calls = new HttpScoringCalls(app);
    String model = calls.register("mobilenet", folder, dir);
    assertThat(calls.finished(calls.create("mobilenet", model, "CPU"))).isEqualTo("Succeeded");
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close();
    }
  }

  @Test
  void score_eachPhotoAsRawBytes_answersItsDocumentedClass() throws Exception {
    List<String> types = List.of("image/jpeg", "image/png", "application/octet-stream");
    for (int i = 0; i < PHOTOS.size(); i++) {
      HttpScoringCalls.Answer answer = calls.post("/api/services/mobilenet/score?persist=false", types.get(i), photos.get(i));

      assertThat(answer.status()).as(answer.text()).isEqualTo(200);
      JsonNode top = answer.body().at("/predictions/0/0");
      assertThat(top.get("index").asInt()).as(PHOTOS.get(i)).isEqualTo(TOP1.get(i));
      assertThat(top.get("label").asText()).isEqualTo(LABELS.get(i));
    }
    HttpScoringCalls.Answer portrait = calls.post("/api/services/mobilenet/score?persist=false", "image/jpeg", hopper);
    assertThat(indexes(portrait.body().at("/predictions/0"))).contains(MILITARY_UNIFORM);
  }

  @Test
  void score_allPhotosInOneMultipartCall_answersEachInOrder() throws Exception {
    List<byte[]> all = new ArrayList<>(photos);
    all.add(hopper);

    HttpScoringCalls.Answer answer = calls.multipart("mobilenet", "?persist=false", all);

    assertThat(answer.status()).as(answer.text()).isEqualTo(200);
    assertTopClasses(answer.body());
  }

  @Test
  void score_allPhotosAsJsonBase64_answersEachInOrderAndIsStoredListedAndAnnounced() throws Exception {
    List<byte[]> all = new ArrayList<>(photos);
    all.add(hopper);

    HttpScoringCalls.Answer answer = calls.json("mobilenet", "", all);

    assertThat(answer.status()).as(answer.text()).isEqualTo(200);
    assertTopClasses(answer.body());
    String id = answer.body().get("id").asText();
    JsonNode stored = app.get("/api/results/mobilenet/http/" + id).body();
    assertThat(stored.get("predictions")).isEqualTo(answer.body().get("predictions"));
    JsonNode listed = app.get("/api/results?service=mobilenet").body().get("value");
    assertThat(listed).anySatisfy(row -> {
      assertThat(row.get("resultId").asText()).isEqualTo(id);
      assertThat(row.get("label").asText()).isEqualTo("house finch");
    });
    assertThat(TestApp.events("RealtimeAI.ImageScored", "/services/mobilenet/images/http/" + id))
        .singleElement().satisfies(e -> assertThat(e.event().data().get("label").asText()).isEqualTo("house finch"));
  }

  @Test
  void score_persistFalse_leavesNoResultBehind() throws Exception {
    HttpScoringCalls.Answer answer = calls.post("/api/services/mobilenet/score?persist=false", "image/jpeg", photos.get(0));

    String id = answer.body().get("id").asText();
    assertThat(app.get("/api/results/mobilenet/http/" + id).status()).isEqualTo(404);
    assertThat(App.get().storage().container(StorageLayout.RESULTS).listBlobs().stream()
        .map(b -> b.getName()).filter(n -> n.contains(id))).isEmpty();
    assertThat(TestApp.events("RealtimeAI.ImageScored", "/services/mobilenet/images/http/" + id)).isEmpty();
  }

  private static void assertTopClasses(JsonNode body) {
    JsonNode predictions = body.get("predictions");
    assertThat(predictions).hasSize(PHOTOS.size() + 1);
    for (int i = 0; i < PHOTOS.size(); i++) {
      assertThat(predictions.get(i).get(0).get("index").asInt()).as(PHOTOS.get(i)).isEqualTo(TOP1.get(i));
    }
    assertThat(indexes(predictions.get(PHOTOS.size()))).contains(MILITARY_UNIFORM);
  }

  private static List<Integer> indexes(JsonNode predictions) {
    List<Integer> indexes = new ArrayList<>();
    predictions.forEach(p -> indexes.add(p.get("index").asInt()));
    return indexes;
  }
}
