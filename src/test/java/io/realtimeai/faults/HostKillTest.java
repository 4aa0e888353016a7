package io.realtimeai.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.realtimeai.app.App;
import io.realtimeai.app.AppSettings;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.FaultCount;
import io.realtimeai.testing.HostProcess;
import io.realtimeai.testing.TestImages;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local host as a child process, killed with SIGKILL in the middle of a 200-image drop and
 * started again: every image ends with exactly one result, document and event, nothing in poison,
 * and the service scores over HTTP. (Killed mid-deployment: {@code HostRestartTest}.)
 */
@Tag("integration")
@Tag("faults")
class HostKillTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  private static final Duration DEPLOY = Duration.ofSeconds(120);
  private static final Duration SCORE = Duration.ofSeconds(240);

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();
  private HostProcess host;

  @AfterEach
  void cleanUp() {
    if (host != null) {
      host.close();
    }
    App.reset();
    AppSettings.clearLocal();
  }

  @Test
  void hostKilledMidDropOf200_scoresEveryImageExactlyOnceAfterARestart() throws Exception {
    host = HostProcess.start(azurite.connectionString(), dir, Map.of());
    // This JVM reads what the host process wrote, with the app's own stores.
    AppSettings.putLocal(Map.of(AppSettings.STORAGE, azurite.connectionString()));
    App.reset();
    String model = host.registerTiny(azurite.storage());
    String operation = "/api/operations/" + host.call("POST", "/api/services",
        "{\"name\": \"tiny\", \"modelId\": \"" + model + "\", \"computeType\": \"CPU\"}").get("id").asText();
    assertThat(host.await(operation, "finished", DEPLOY, FaultsSupport::finished).get("state").asText())
        .isEqualTo("Succeeded");
    Map<String, byte[]> images = Drops.pictures("killed", 200);
    Drops.drop(azurite.storage(), "tiny", images);
    Drops.awaitFirst("tiny", "killed", SCORE);
    int before = Drops.results("tiny", "killed");

    host.kill();
    host.start();

    Drops.awaitAll(azurite.storage(), "tiny", "killed", images.size(), SCORE);
    System.out.println("FAULT host-kill-mid-drop: " + before + " of 200 results were written before the kill");
    FaultCount.of("host-kill-mid-drop", azurite.storage(), "tiny", "killed", images.keySet(), null).assertExactlyOnce();
    HttpResponse<String> scored = http.send(HttpRequest.newBuilder(host.uri("/api/services/tiny/score?persist=false"))
        .header("Content-Type", "image/jpeg").POST(HttpRequest.BodyPublishers.ofByteArray(TestImages.jpeg())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(scored.statusCode()).as(scored.body()).isEqualTo(200);
  }
}
