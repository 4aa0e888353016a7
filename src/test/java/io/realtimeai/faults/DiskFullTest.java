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
 * reason); space that runs out later, while the package downloads, fails it with {@code DiskFull}
 * too (it used to say only that the runtime could not start); once space is freed, deploying again
 * succeeds and scores. The folder is a 64 MiB tmpfs, and its package cache a 1 MiB one inside it,
 * which needs root: skipped, saying so, without it.
 */
@Tag("integration")
@Tag("faults")
class DiskFullTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  private static final Duration DEPLOY = Duration.ofSeconds(120);

  @TempDir static Path dir;
  static DiskSpace disk;
  /** The package cache, on a filesystem of its own: full while the replica folder has room, as after a later writer. */
  static DiskSpace packages;
  static TestApp app;

  @BeforeAll
  static void start() throws Exception {
    disk = DiskSpace.mount(dir.resolve("replicas"), 64);
    assumeTrue(disk != null, DiskSpace.refusal());
    packages = DiskSpace.mount(dir.resolve("replicas/.packages"), 1);
    assumeTrue(packages != null, DiskSpace.refusal());
    app = TestApp.start(azurite, dir, TestApp.localReplicas(dir));
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    if (packages != null) {
      packages.close();
    }
    if (disk != null) {
      disk.close();
    }
  }

  @Test
  void deployIntoAFullWorkFolder_orOneThatFillsDuringTheDownload_failsWithDiskFullUntilSpaceIsFreed() throws Exception {
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
    packages.fill();
    JsonNode deleted = app.awaitJson(deleteService("cramped"), DEPLOY, FaultsSupport::finished);
    assertThat(deleted.get("state").asText()).as(deleted.toString()).isEqualTo("Succeeded");
    JsonNode download = app.awaitJson(app.createService(Map.of("name", "cramped", "modelId", model,
        "computeType", "CPU")), DEPLOY, FaultsSupport::finished);

    assertThat(download.get("state").asText()).as(download.toString()).isEqualTo("Failed");
    assertThat(download.get("error").get("code").asText()).isEqualTo("DiskFull");
    assertThat(download.get("error").get("message").asText())
        .contains("replica ", " of service 'cramped' could not start: ran out of disk space ",
            dir.resolve("replicas").toRealPath().toString(), "while the replica was prepared", "No space left on device");
    assertThat(TestApp.events("RealtimeAI.ServiceDeploymentFailed", "/services/cramped")).hasSize(2);

    packages.free();
    JsonNode cleared = app.awaitJson(deleteService("cramped"), DEPLOY, FaultsSupport::finished);
    assertThat(cleared.get("state").asText()).as(cleared.toString()).isEqualTo("Succeeded");
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
