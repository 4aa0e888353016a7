package io.realtimeai.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.realtimeai.testing.ProjectJar;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code realtime-ai up} as a user runs it: Azurite on its standard ports, the host, health, a clean stop; and a stop
 * while the host is still starting.
 */
@Tag("integration")
class UpCommandTest {
  private static final Pattern FUNCTIONS = Pattern.compile("functions\\s+http://localhost:(\\d+)/api/");

  @TempDir Path dir;

  @Test
  void up_servesHealthAndStopsLeavingNoProcessBehind() throws Exception {
    for (int port : new int[] {10000, 10001, 10002}) {
      assertThat(isFree(port)).as("port %d must be free for this test (Azurite's standard port)", port).isTrue();
    }
    Path out = dir.resolve("out.txt");
    Process up = ProjectJar.start(out, dir.resolve("replicas"), "up", "--in-memory", "--port", "0");
    try {
      int port = awaitBanner(up, out);
      HttpResponse<String> health = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/health")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).contains("\"status\":\"Healthy\"", "\"reachable\":true", "\"onnxRuntime\"");
      String console = "http://localhost:" + port + "/api/console/";
      assertThat(Files.readString(out)).contains("  console    " + console);
      HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(console)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
      assertThat(page.body()).contains("<title>realtime-ai console</title>");
      List<ProcessHandle> children = up.descendants().toList();
      assertThat(children).as("Azurite runs as a child of up").isNotEmpty();
      List<ProcessHandle> azurite = children.stream()
          .filter(child -> child.info().commandLine().orElse("").contains("azurite")).toList();
      assertThat(azurite).as("Azurite's process").isNotEmpty();
      assertThat(Integer.parseInt(SoakBench.niceness(azurite.get(0)))).as("Azurite yields the CPU to the app")
          .isEqualTo(Math.min(19, Integer.parseInt(SoakBench.niceness(up.toHandle())) + 10));

      up.destroy();

      assertThat(up.waitFor(90, TimeUnit.SECONDS)).as("up stops on SIGTERM").isTrue();
      for (ProcessHandle child : children) {
        child.onExit().get(30, TimeUnit.SECONDS);
        assertThat(child.isAlive()).as("child %s left behind", child.pid()).isFalse();
      }
      assertThat(isFree(10000)).isTrue();
      assertThat(isFree(port)).isTrue();
      assertThat(Files.readString(out)).contains("stopped.");
    } finally {
      up.descendants().forEach(ProcessHandle::destroyForcibly);
      up.destroyForcibly();
    }
  }

  @Test
  void up_stoppedWhileTheHostStarts_leavesNoAzuriteBehind() throws Exception {
    Path out = dir.resolve("out.txt");
    Process up = ProjectJar.start(out, dir.resolve("replicas"), "up", "--in-memory", "--port", "0");
    List<ProcessHandle> children = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 1200 && up.isAlive() && !text(out).contains("starting the local Functions host"); i++) {
        Thread.sleep(20);
      }
      children.addAll(up.descendants().toList());
      assertThat(text(out)).as("the host was starting").contains("starting the local Functions host")
          .doesNotContain("realtime-ai is up");
      assertThat(children).as("Azurite's process").anyMatch(child -> child.info().commandLine().orElse("").contains("azurite"));

      up.destroy();

      assertThat(up.waitFor(90, TimeUnit.SECONDS)).as("up stops on SIGTERM").isTrue();
      for (ProcessHandle child : children) {
        assertThat(child.onExit()).as("%s left behind", child.info().commandLine().orElse(Long.toString(child.pid())))
            .succeedsWithin(java.time.Duration.ofSeconds(30));
      }
      assertThat(isFree(10000)).isTrue();
    } finally {
      children.forEach(ProcessHandle::destroyForcibly);
      up.descendants().forEach(ProcessHandle::destroyForcibly);
      up.destroyForcibly();
    }
  }

  /** What the process has written so far; a character cut in two at the end reads as a replacement, not an error. */
  private static String text(Path out) throws IOException {
    return new String(Files.readAllBytes(out), java.nio.charset.StandardCharsets.UTF_8);
  }

  private static int awaitBanner(Process up, Path out) throws Exception {
    for (int i = 0; i < 1200 && up.isAlive(); i++) {
      Matcher matcher = FUNCTIONS.matcher(Files.readString(out));
      if (matcher.find()) {
        return Integer.parseInt(matcher.group(1));
      }
      Thread.sleep(100);
    }
    throw new AssertionError("up never printed its banner:\n" + Files.readString(out));
  }

  private static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new java.net.InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
