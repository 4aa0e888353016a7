package io.realtimeai.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.HostProcess;
import io.realtimeai.testing.TestImages;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host as a real child process ({@code realtime-ai up} over a test Azurite): killed in the
 * middle of a deployment, the operation finishes once it is started again; stopped and started
 * again, the services it ran come back; and nothing is left running at the end.
 */
@Tag("integration")
class HostRestartTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  private static final Duration DEPLOY = Duration.ofSeconds(120);

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();
  private HostProcess host;

  @AfterEach
  void cleanUp() {
    if (host != null) {
      host.close();
    }
  }

  @Test
  void aHostKilledMidDeploymentFinishesTheOperationAfterARestartAndServicesComeBackAfterAStop() throws Exception {
    host = HostProcess.start(azurite.connectionString(), dir, java.util.Map.of());
    String model = host.registerTiny(azurite.storage());
    String operation = "/api/operations/" + call("POST", "/api/services",
        "{\"name\": \"survivor\", \"modelId\": \"" + model + "\", \"computeType\": \"CPU\", \"numReplicas\": 2}").get("id").asText();
    await(operation, "running", o -> o.get("state").asText().equals("Running"));

    host.kill();
    host.start();

    JsonNode done = await(operation, "finished", o -> List.of("Succeeded", "Failed").contains(o.get("state").asText()));
    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("Succeeded");
    assertScores();

    stopHost();
    assertThat(runtimes()).as("a stopped host leaves no replica running").isEmpty();
    host.start();

    await("/api/services/survivor", "back", s -> s.get("state").asText().equals("Succeeded")
        && s.get("replicas").size() == 2 && s.get("replicas").findValues("state").stream().allMatch(x -> x.asText().equals("Ready")));
    assertScores();
    String deleted = "/api/operations/" + call("DELETE", "/api/services/survivor", null).get("id").asText();
    assertThat(await(deleted, "deleted", o -> List.of("Succeeded", "Failed").contains(o.get("state").asText())).get("state").asText())
        .isEqualTo("Succeeded");
    stopHost();
    assertThat(runtimes()).as("nothing left behind").isEmpty();
  }

  private void assertScores() throws Exception {
    JsonNode service = call("GET", "/api/services/survivor", null);
    if (System.getProperty("debug.restart") != null) {
      System.err.println("SERVICE " + service);
      try (var walk = Files.walk(dir.resolve("replicas"))) {
        walk.filter(Files::isRegularFile).filter(f -> !f.toString().endsWith(".zip") && !f.toString().endsWith(".onnx"))
            .forEach(f -> {
              try {
                System.err.println("FILE " + f + ": " + Files.readString(f).replaceAll("(?s)(.{600}).*", "$1"));
              } catch (Exception e) {
                System.err.println("FILE " + f + " unreadable");
              }
            });
      }
      for (int i = 1; i <= host.starts(); i++) {
        System.err.println("HOST " + i + ":\n" + Files.readString(dir.resolve("host-" + i + ".txt")));
      }
      runtimes().forEach(p -> System.err.println("RUNTIME " + p.pid() + " " + p.info().commandLine().orElse("")));
    }
    String key = call("GET", "/api/services/survivor/keys", null).get("primaryKey").asText();
    try (PredictionClient client = PredictionClient.builder(service.get("ipAddress").asText() + ":" + service.get("port").asInt())
        .key(key).deadline(Duration.ofSeconds(30)).build()) {
      assertThat(client.predictImages(List.of(TestImages.jpeg())).getOutputsCount()).isEqualTo(1);
    }
  }

  private void stopHost() throws Exception {
    assertThat(host.stop()).as("the host stops on SIGTERM").isTrue();
  }

  private JsonNode call(String method, String path, String body) throws Exception {
    return host.call(method, path, body);
  }

  private JsonNode await(String path, String what, java.util.function.Predicate<JsonNode> done) throws InterruptedException {
    return host.await(path, what, DEPLOY, done);
  }

  private List<ProcessHandle> runtimes() {
    return host.runtimes();
  }
}
