package io.realtimeai.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.FaultCount;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TcpLink;
import io.realtimeai.testing.TestApp;
import io.realtimeai.testing.TestImages;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Azurite stopped and started again under the app (the local host in this JVM, replicas as
 * runtime processes): in the middle of a drop every image still gets exactly one result, document
 * and event; in the middle of a deployment the operation still ends Succeeded; nothing is
 * poisoned and the stack serves again with no manual step.
 *
 * <p>The app reaches Azurite through {@link TcpLink}s that are cut for the whole outage. Azurite
 * 3.35 persists its tables and queues every few seconds and loses the writes of its last ~5 s when
 * stopped (SIGTERM), acknowledged or not; so the links are cut first and Azurite is stopped
 * {@link #FLUSH} later, and the app sees an outage of that length plus the restart. What it loses
 * by itself is then the app's, not the emulator's.
 */
@Tag("integration")
class AzuriteRestartTest {
  @RegisterExtension static AzuriteExtension azurite = AzuriteExtension.persistent();
  /** Longer than Azurite's persistence interval (5 s in 3.35). */
  static final Duration FLUSH = Duration.ofSeconds(6);
  private static final Duration DEPLOY = Duration.ofSeconds(120);
  private static final Duration SCORE = Duration.ofSeconds(180);

  @TempDir static Path dir;
  static List<TcpLink> links;
  static TestApp app;
  static String model;

  @BeforeAll
  static void start() throws Exception {
    links = TcpLink.toEach(azurite.azurite().ports());
    app = TestApp.start(azurite, TcpLink.connectionString(links), dir, TestApp.localReplicas(dir));
    model = app.register("tiny", ModelFolders.tinyClassifier(dir.resolve("tiny")), dir);
    JsonNode done = app.awaitJson(app.createService(Map.of("name", "tiny", "modelId", model, "computeType", "CPU")), DEPLOY,
        FaultsSupport::finished);
    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("Succeeded");
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    TcpLink.closeAll(links);
  }

  @Test
  void azuriteRestartedMidDropOf20_scoresEveryImageExactlyOnce() throws Exception {
    dropThroughARestart("azurite-restart-mid-drop-20", "twenty", 20);
  }

  @Test
  @Tag("faults")
  void azuriteRestartedMidDropOf200_scoresEveryImageExactlyOnce() throws Exception {
    dropThroughARestart("azurite-restart-mid-drop-200", "two-hundred", 200);
  }

  @Test
  @Tag("faults")
  void azuriteRestartedMidDeployment_endsTheOperationSucceededAndTheServiceScores() throws Exception {
    String operation = app.createService(Map.of("name", "during", "modelId", model, "computeType", "CPU", "numReplicas", 2));
    app.awaitJson(operation, DEPLOY, o -> o.get("state").asText().equals("Running"));

    restartAzurite();

    JsonNode done = app.awaitJson(operation, DEPLOY, FaultsSupport::finished);
    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("Succeeded");
    assertThat(TestApp.events("RealtimeAI.ServiceDeployed", "/services/during")).hasSize(1);
    assertServes("during");
    Map<String, byte[]> images = Drops.pictures("after", 2);
    Drops.drop(azurite.storage(), "during", images);
    Drops.awaitAll(azurite.storage(), "during", "after", images.size(), SCORE);
    FaultCount.of("azurite-restart-mid-deployment", azurite.storage(), "during", "after", images.keySet(), null)
        .assertExactlyOnce();
  }

  private void dropThroughARestart(String fault, String folder, int count) throws Exception {
    Map<String, byte[]> images = Drops.pictures(folder, count);
    Drops.drop(azurite.storage(), "tiny", images);
    Drops.awaitFirst("tiny", folder, SCORE);

    restartAzurite();

    Drops.awaitAll(azurite.storage(), "tiny", folder, count, SCORE);
    FaultCount.of(fault, azurite.storage(), "tiny", folder, images.keySet(), null).assertExactlyOnce();
    assertServes("tiny");
  }

  /** Cuts the app off Azurite, lets Azurite persist what it acknowledged, stops it, starts it again, mends the links. */
  private static void restartAzurite() throws Exception {
    links.forEach(TcpLink::cut);
    Thread.sleep(FLUSH.toMillis());
    azurite.restart();
    links.forEach(TcpLink::mend);
  }

  /** An image scored over HTTP answers 200 with predictions: the stack serves with no manual step. */
  private static void assertServes(String service) throws Exception {
    TestApp.Answer answer = app.post("/api/services/" + service + "/score?persist=false",
        Map.of("images", List.of(Base64.getEncoder().encodeToString(TestImages.jpeg()))));
    assertThat(answer.status()).as(answer.text()).isEqualTo(200);
    assertThat(answer.body().get("predictions").size()).isPositive();
  }
}
