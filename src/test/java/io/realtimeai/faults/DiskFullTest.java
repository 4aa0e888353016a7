package io.realtimeai.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.DiskSpace;
import io.realtimeai.testing.FaultCount;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestApp;
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
 * The replica work folder on a disk with no space left: a deployment fails at once with
 * {@code DiskFull} naming the folder and the space needed (it used to wait for its deadline with no
 * reason); once space is freed, deploying again succeeds and scores. The folder is a 64 MiB tmpfs,
 * which needs root: skipped, saying so, without it.
 */
@Tag("integration")
@Tag("faults")
class DiskFullTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  private static final Duration DEPLOY = Duration.ofSeconds(120);

  @TempDir static Path dir;
  static DiskSpace disk;
  static TestApp app;

  @BeforeAll
  static void start() throws Exception {
    disk = DiskSpace.mount(dir.resolve("replicas"), 64);
    assumeTrue(disk != null, DiskSpace.refusal());
    app = TestApp.start(azurite, dir, TestApp.localReplicas(dir));
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    if (disk != null) {
      disk.close();
    }
  }

  @Test
  void deployIntoAFullWorkFolder_failsWithDiskFullNamingItAndSucceedsOnceSpaceIsFreed() throws Exception {
    String model = app.register("tiny", ModelFolders.tinyClassifier(dir.resolve("tiny")), dir);
    disk.fill();

    JsonNode failed = app.awaitJson(app.createService(Map.of("name", "cramped", "modelId", model, "computeType", "CPU")),
        DEPLOY, FaultsSupport::finished);

    assertThat(failed.get("state").asText()).as(failed.toString()).isEqualTo("Failed");
    assertThat(failed.get("error").get("code").asText()).isEqualTo("DiskFull");
    assertThat(failed.get("error").get("message").asText())
        .contains("the replica folder " + dir.resolve("replicas").toRealPath(), "free; replica", "needs at least", "MiB");
    assertThat(TestApp.events("RealtimeAI.ServiceDeploymentFailed", "/services/cramped")).hasSize(1);

    disk.free();
    JsonNode deleted = app.awaitJson(deleteService("cramped"), DEPLOY, FaultsSupport::finished);
    assertThat(deleted.get("state").asText()).as(deleted.toString()).isEqualTo("Succeeded");
    JsonNode again = app.awaitJson(app.createService(Map.of("name", "cramped", "modelId", model, "computeType", "CPU")),
        DEPLOY, FaultsSupport::finished);

    assertThat(again.get("state").asText()).as(again.toString()).isEqualTo("Succeeded");
    assertThat(TestApp.events("RealtimeAI.ServiceDeployed", "/services/cramped")).hasSize(1);
    Map<String, byte[]> images = Drops.pictures("roomy", 4);
    Drops.drop(azurite.storage(), "cramped", images);
    Drops.awaitAll(azurite.storage(), "cramped", "roomy", images.size(), DEPLOY);
    FaultCount.of("disk-full", azurite.storage(), "cramped", "roomy", images.keySet(), null).assertExactlyOnce();
  }

  private static String deleteService(String name) throws Exception {
    TestApp.Answer accepted = app.delete("/api/services/" + name);
    assertThat(accepted.status()).as(accepted.text()).isEqualTo(202);
    return "/api/operations/" + accepted.body().get("id").asText();
  }
}
