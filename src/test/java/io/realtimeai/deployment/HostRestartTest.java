package io.realtimeai.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.packaging.ModelPackager;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.HostProcess;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestApp;
import io.realtimeai.testing.TestImages;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
  private static final ObjectMapper JSON = new ObjectMapper();
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
    Path zip = dir.resolve("tiny.zip");
    ModelPackager.pack(ModelFolders.tinyClassifier(dir.resolve("tiny")), zip, AcceleratedCatalog.none());
    azurite.storage().container("incoming").createIfNotExists();
    azurite.storage().container("incoming").getBlobClient("tiny.zip").uploadFromFile(zip.toString(), true);
    String model = call("POST", "/api/models", "{\"name\": \"tiny\", \"blobPath\": \"incoming/tiny.zip\"}").get("id").asText();
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
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + host.port() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isBetween(200, 299);
    return JSON.readTree(response.body());
  }

  private JsonNode await(String path, String what, java.util.function.Predicate<JsonNode> done) throws InterruptedException {
    return TestApp.await(path + " " + what, DEPLOY, () -> {
      try {
        JsonNode body = call("GET", path, null);
        return done.test(body) ? body : null;
      } catch (Exception e) {
        return null;
      }
    });
  }

  private List<ProcessHandle> runtimes() {
    return host.runtimes();
  }
}
