package io.realtimeai.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.realtimeai.app.App;
import io.realtimeai.app.AppSettings;
import io.realtimeai.testing.ProjectJar;
import io.realtimeai.testing.TestApp;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code realtime-ai bench --quick} runs every part of the report to its summary (no figure is judged, only present), and a
 * soak stopped once its table has begun leaves no process of its stack behind.
 */
@Tag("integration")
class BenchCommandTest {
  private static final Pattern P50 = Pattern.compile("p50\\s+([0-9.]+) ms");
  private static final Pattern PER_IMAGE = Pattern.compile("([0-9.]+) per dropped image");

  @TempDir java.nio.file.Path replicas;

  @org.junit.jupiter.api.BeforeEach
  void ownReplicaFolder() {
    TestApp.replicasIn(replicas);
  }

  @AfterEach
  void forget() {
    App.reset();
    AppSettings.clearLocal();
  }

  @Test
  void bench_quick_printsEverySectionAndTheSummary() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = Main.execute("bench", "--quick", "--iterations", "2", "--warmup", "1", "--runtime-warmup", "0", "--dropped", "8",
          "--jar", System.getProperty("project.jar", "target/realtime-ai.jar"));
    } finally {
      System.setOut(stdout);
    }
    String text = out.toString(StandardCharsets.UTF_8);
    stdout.println(text);

    assertThat(code).as(text).isZero();
    assertThat(text).contains("cores usable", "ONNX Runtime 1.", "intra-op threads",
        "[1] the raw engine", "raw OrtSession.run, intra-op default", "raw OrtSession.run, intra-op 1", "best explicit count:",
        "[2] the runtime as its own process", "gRPC Predict, tensor, separate process",
        "gRPC Predict, 224² JPEG, separate process", " 1 caller , no batching", " 4 callers, no batching",
        "16 callers, no batching", "raw OrtSession.run, same rounds", "against the raw engine call of the same rounds",
        "lone caller, no batching", "lone caller, batching on", "a lone caller with batching on: p50",
        "[3] decode + preprocess alone",
        "[4] the scoring functions", "HTTP score, persist=false", "HTTP adds", "drop-folder: 8 of 8 results",
        "storage requests by the app during the drop:",
        "summary", "gRPC tensor, own process: p50 / raw p50", "HTTP score p50 − gRPC p50, same service",
        "drop folder throughput / the runtime's saturated", "batching: 16 callers' throughput / sequential batch 1");
    assertThat(text).contains(" 1 caller , batching on", "16 callers, batching on");
    List<Double> p50s = figures(P50, text);
    assertThat(p50s).as("p50 figures").hasSizeGreaterThan(10).allSatisfy(p50 -> assertThat(p50).isPositive());
    assertThat(figures(PER_IMAGE, text)).as("storage requests per image").singleElement()
        .satisfies(perImage -> assertThat(perImage).isGreaterThan(0));
  }

  @Test
  void soak_stoppedBySigterm_leavesNoProcessBehind() throws Exception {
    java.nio.file.Path out = replicas.resolve("soak.txt");
    Process soak = ProjectJar.start(out, replicas.resolve("soak-replicas"), "bench", "--soak", "10m", "--quick",
        "--soak-warm-up", "0", "--report-every", "10s");
    List<ProcessHandle> children = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 1800 && soak.isAlive() && !text(out).contains("HTTP/s"); i++) {
        Thread.sleep(100);
      }
      assertThat(text(out)).as("the soak's table began").contains("HTTP/s");
      children.addAll(soak.descendants().toList());
      assertThat(children.stream().map(child -> child.info().commandLine().orElse("")))
          .as("the soak's Azurite and runtime").anyMatch(line -> line.contains("azurite"))
          .anyMatch(line -> line.contains(" runtime "));

      soak.destroy();

      assertThat(soak.waitFor(90, java.util.concurrent.TimeUnit.SECONDS)).as("the soak stops on SIGTERM").isTrue();
      for (ProcessHandle child : children) {
        String command = child.info().commandLine().orElse(Long.toString(child.pid()));
        assertThat(child.onExit()).as("%s left behind", command).succeedsWithin(java.time.Duration.ofSeconds(30));
      }
    } finally {
      // Children first: once the soak has exited they are no longer its descendants.
      children.forEach(ProcessHandle::destroyForcibly);
      soak.descendants().forEach(ProcessHandle::destroyForcibly);
      soak.destroyForcibly();
    }
  }

  /** What the process has written so far; a character cut in two at the end reads as a replacement, not an error. */
  private static String text(java.nio.file.Path out) throws java.io.IOException {
    return new String(java.nio.file.Files.readAllBytes(out), StandardCharsets.UTF_8);
  }

  private static List<Double> figures(Pattern pattern, String text) {
    Matcher matcher = pattern.matcher(text);
    List<Double> found = new java.util.ArrayList<>();
    while (matcher.find()) {
      found.add(Double.parseDouble(matcher.group(1)));
    }
    return found;
  }
}
