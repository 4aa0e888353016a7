package io.realtimeai.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.realtimeai.app.App;
import io.realtimeai.app.AppSettings;
import io.realtimeai.testing.Fixtures;
import io.realtimeai.testing.TestApp;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code realtime-ai demo} runs the whole walkthrough to the end on a stack of its own. */
@Tag("integration")
class DemoCommandTest {
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
  void demo_runsTheWalkthroughToTheEnd() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    int code;
    try {
      // Port 1 answers nothing: the demo starts a stack of its own, on free ports.
      code = Main.execute("demo", "--api", "http://localhost:1");
    } finally {
      System.setOut(stdout);
    }
    String text = out.toString(StandardCharsets.UTF_8);
    stdout.println(text);

    assertThat(code).as(text).isZero();
    assertThat(text).contains("[1/8] the local stack", "[4/8]", "registered demo-", "202 Accepted; Operation-Location:",
        "Succeeded in", "[6/8] score images over HTTP", "round trip", "[7/8] score a dropped folder",
        "RealtimeAI.ImageScored", "DELETE demo-", "done in");
    assertThat(text.strip()).as("the demo ends by pointing at the console")
        .endsWith("the web console: run ./realtime-ai up, then open http://localhost:7071/api/console/"
            + " (this demo's own stack is gone; run the demo there with --keep to see its service)");
    if (Fixtures.available()) {
      // The pretrained model scores the finch as the fixtures document, over HTTP and from the dropped folder.
      assertThat(text).contains("1. house finch", "demo/imagenet_finch.jpeg.json: house finch");
    }
  }
}
