package io.realtimeai.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.EventGridReceiver;
import io.realtimeai.testing.FaultCount;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestApp;
import io.realtimeai.testing.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults on the serving side, with the app on the local host, replicas as runtime processes and
 * events sent to a real HTTPS receiver: a runtime process frozen (SIGSTOP) for longer than the
 * scoring deadline, and the Event Grid receiver down for a minute. (A replica killed mid-drop:
 * {@code FolderScoringTest}.)
 */
@Tag("integration")
@Tag("faults")
class ServingFaultsTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  /** The app's deadline per scoring call, in seconds; the freeze lasts several of them. */
  private static final int DEADLINE_SECONDS = 2;
  /** How long the receiver stays down; a minute unless {@code -Dfaults.receiverOutageSeconds=N}. */
  private static final Duration OUTAGE = Duration.ofSeconds(Long.getLong("faults.receiverOutageSeconds", 60));
  private static final Duration DEPLOY = Duration.ofSeconds(120);
  private static final Duration SCORE = Duration.ofSeconds(180);

  @TempDir static Path dir;
  static EventGridReceiver receiver;
  static TestApp app;

  @BeforeAll
  static void start() throws Exception {
    receiver = EventGridReceiver.start(Files.createDirectories(dir.resolve("receiver")));
    app = TestApp.start(azurite, dir, TestApp.localReplicas(dir, "SCORING_DEADLINE_SECONDS", Integer.toString(DEADLINE_SECONDS),
        "EVENTGRID_TOPIC_ENDPOINT", receiver.endpoint(), "EVENTGRID_TOPIC_KEY", "faults-key",
        "EVENTGRID_TRUSTED_CERTIFICATE", receiver.certificate().toString()));
    String model = app.register("tiny", ModelFolders.tinyClassifier(dir.resolve("tiny")), dir);
    JsonNode done = app.awaitJson(app.createService(Map.of("name", "tiny", "modelId", model, "computeType", "CPU")), DEPLOY,
        FaultsSupport::finished);
    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("Succeeded");
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    receiver.close();
  }

  @Test
  void runtimeFrozenLongerThanTheDeadline_answers503NamingItThenServesEverythingAfterSigcont() throws Exception {
    long pid = replicaPid("tiny");
    Map<String, byte[]> images = Drops.pictures("frozen", 30);
    List<TestApp.Answer> duringFreeze = new ArrayList<>();

    signal("STOP", pid);
    try {
      Drops.drop(azurite.storage(), "tiny", images);
      for (int i = 0; i < 3; i++) {
        duringFreeze.add(score());
      }
    } finally {
      signal("CONT", pid);
    }

    assertThat(duringFreeze).allSatisfy(answer -> {
      assertThat(answer.status()).as(answer.text()).isEqualTo(503);
      assertThat(answer.body().get("error").get("message").asText()).contains("service 'tiny' did not answer: DEADLINE_EXCEEDED");
    });
    List<Integer> after = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      after.add(score().status());
    }
    assertThat(after).as("30 calls after SIGCONT").containsOnly(200);
    System.out.println("FAULT runtime-frozen: " + duringFreeze.size() + " calls during the freeze answered 503, "
        + after.stream().filter(s -> s == 200).count() + "/30 calls after it answered 200");
    Drops.awaitAll(azurite.storage(), "tiny", "frozen", images.size(), SCORE);
    FaultCount.of("runtime-frozen-mid-drop", azurite.storage(), "tiny", "frozen", images.keySet(), null).assertExactlyOnce();
  }

  @Test
  void eventGridReceiverDownForAMinute_getsEveryEventOnceItIsBack() throws Exception {
    Map<String, byte[]> images = Drops.pictures("unheard", 20);

    receiver.stop();
    try {
      Drops.drop(azurite.storage(), "tiny", images);
      Drops.awaitAll(azurite.storage(), "tiny", "unheard", images.size(), SCORE);
      Thread.sleep(OUTAGE.toMillis());
    } finally {
      receiver.restart();
    }

    receiver.await(events -> delivered(images.keySet()) == images.size(), SCORE);
    FaultCount count = FaultCount.of("event-grid-down-" + OUTAGE.toSeconds() + "s", azurite.storage(), "tiny", "unheard",
        images.keySet(), receiver).assertExactlyOnce();
    System.out.println("FAULT event-grid-down: " + count.redelivered() + " event(s) delivered more than once");
  }

  private static long delivered(java.util.Set<String> paths) {
    return receiver.acknowledgedEvents().stream().map(e -> e.get("subject").asText())
        .filter(s -> s.startsWith("/services/tiny/images/") && paths.contains(s.substring("/services/tiny/images/".length())))
        .distinct().count();
  }

  private static TestApp.Answer score() throws Exception {
    return app.post("/api/services/tiny/score?persist=false",
        Map.of("images", List.of(Base64.getEncoder().encodeToString(TestImages.jpeg()))));
  }

  private static long replicaPid(String service) throws Exception {
    JsonNode record = app.get("/api/services/" + service).body();
    Path replica = dir.resolve("replicas").resolve(record.get("id").asText())
        .resolve(record.get("replicas").get(0).get("id").asText());
    return Long.parseLong(Files.readString(replica.resolve("pid")).strip());
  }

  /** Sends SIGSTOP or SIGCONT: the JDK's process API sends only TERM and KILL. */
  private static void signal(String name, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0).as("kill -" + name + " " + pid).isTrue();
  }
}
