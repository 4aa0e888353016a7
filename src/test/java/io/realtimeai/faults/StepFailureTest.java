package io.realtimeai.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A deployment step that fails every time it runs (here the replica work folder is a file, so no replica folder can be
 * written): the step is asked again until the deadline, nothing is parked in the poison queue, and the operation ends
 * {@code DeploymentTimeout} saying what failed, rather than {@code … replica …: gone} with the cause in the log only.
 * Once the folder is back, the failed service is deleted and deployed again.
 */
@Tag("integration")
@Tag("faults")
class StepFailureTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  private static final Duration DEPLOY = Duration.ofSeconds(90);
  private static final int TIMEOUT_SECONDS = 20;

  @TempDir static Path dir;
  static TestApp app;

  @BeforeAll
  static void start() throws Exception {
    app = TestApp.start(azurite, dir, TestApp.localReplicas(dir, "DEPLOYMENT_TIMEOUT_SECONDS",
        Integer.toString(TIMEOUT_SECONDS)));
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close();
    }
  }

  @Test
  void stepThatFailsEachTime_endsAtTheDeadlineSayingWhy_andTheServiceDeploysOnceTheCauseIsGone() throws Exception {
    String model = app.register("tiny", ModelFolders.tinyClassifier(dir.resolve("tiny")), dir);
    Path folder = dir.resolve("replicas");
    Path away = dir.resolve("replicas-away");
    Files.createDirectories(folder);
    Files.move(folder, away);
    Files.writeString(folder, "not a folder");

    JsonNode failed = app.awaitJson(app.createService(Map.of("name", "unwritable", "modelId", model,
        "computeType", "CPU")), DEPLOY, FaultsSupport::finished);

    assertThat(failed.get("state").asText()).as(failed.toString()).isEqualTo("Failed");
    assertThat(failed.get("error").get("code").asText()).isEqualTo("DeploymentTimeout");
    assertThat(failed.get("error").get("message").asText())
        .startsWith("the deployment did not finish within " + TIMEOUT_SECONDS + " s: Provision failed: ")
        .contains(folder.toString());
    assertThat(failed.get("error").get("details").get(0).asText()).startsWith("Provision failed: ");
    assertThat(app.storage().queue(StorageLayout.DEPLOYMENTS_QUEUE + "-poison").peekMessages(32, null, null))
        .as("nothing parked in the poison queue").isEmpty();
    assertThat(TestApp.events("RealtimeAI.ServiceDeploymentFailed", "/services/unwritable")).hasSize(1);

    Files.delete(folder);
    Files.move(away, folder);
    TestApp.Answer delete = app.delete("/api/services/unwritable");
    assertThat(delete.status()).as(delete.text()).isEqualTo(202);
    JsonNode deleted = app.awaitJson("/api/operations/" + delete.body().get("id").asText(), DEPLOY,
        FaultsSupport::finished);
    assertThat(deleted.get("state").asText()).as(deleted.toString()).isEqualTo("Succeeded");
    JsonNode again = app.awaitJson(app.createService(Map.of("name", "unwritable", "modelId", model,
        "computeType", "CPU")), DEPLOY, FaultsSupport::finished);
    assertThat(again.get("state").asText()).as(again.toString()).isEqualTo("Succeeded");
  }
}
