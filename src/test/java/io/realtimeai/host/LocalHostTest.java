package io.realtimeai.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.azure.functions.annotation.FunctionName;
import io.realtimeai.app.App;
import io.realtimeai.app.AppSettings;
import io.realtimeai.app.ProjectPaths;
import io.realtimeai.events.Event;
import io.realtimeai.events.EventType;
import io.realtimeai.events.Subjects;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.TestApp;
import io.realtimeai.testing.EventGridReceiver;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local host on the app the build generated (target/azure-functions/realtime-ai), over a real
 * Azurite: exactly the annotated functions, served end to end.
 */
@Tag("integration")
class LocalHostTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();

  @TempDir Path dir;

  @Test
  void start_servesExactlyTheFunctionsTheCodeAnnotates() throws Exception {
    try (TestApp app = TestApp.start(azurite, dir, Map.of())) {
      Set<String> served = new TreeSet<>(app.host().functions().stream().map(FunctionDescriptor::name).toList());

      assertThat(served).isEqualTo(annotatedFunctions()).isNotEmpty();
    }
  }

  @Test
  void health_answersThroughTheHost() throws Exception {
    try (TestApp app = TestApp.start(azurite, dir, Map.of())) {
      TestApp.Answer response = app.get("/api/health");

      assertThat(response.status()).isEqualTo(200);
      assertThat(response.body().get("status").asText()).isEqualTo("Healthy");
      assertThat(response.body().at("/storage/reachable").asBoolean()).isTrue();
    }
  }

  @Test
  void unknownRoute_isAJson404() throws Exception {
    try (TestApp app = TestApp.start(azurite, dir, Map.of())) {
      TestApp.Answer response = app.get("/api/nothing-here");

      assertThat(response.status()).isEqualTo(404);
      assertThat(response.body().at("/error/code").asText()).isEqualTo("NotFound");
    }
  }

  @Test
  void events_areListedOverHttpAndRelayedByTheTimerToEventGrid() throws Exception {
    try (EventGridReceiver receiver = EventGridReceiver.start(dir.resolve("certificates"));
        TestApp app = TestApp.start(azurite, dir, Map.of(
            "EVENTGRID_TOPIC_ENDPOINT", receiver.endpoint(),
            "EVENTGRID_TOPIC_KEY", "topic-key",
            "EVENTGRID_TRUSTED_CERTIFICATE", receiver.certificate().toString()))) {
      Event event = App.get().events().record(EventType.MODEL_REGISTERED, Subjects.model("tiny", "1"),
          Map.of("modelId", "tiny:1"), "tiny:1");

      JsonNode listed = app.get("/api/events").body().get("value");
      List<JsonNode> received = receiver.await(events -> !events.isEmpty(), Duration.ofSeconds(20));

      assertThat(listed).extracting(e -> e.get("id").asText()).contains(event.id());
      assertThat(received).extracting(e -> e.get("id").asText()).containsExactly(event.id());
      assertThat(receiver.requests().get(0).header("aeg-sas-key")).isEqualTo("topic-key");
    }
  }

  @Test
  void start_refusesAFunctionJsonThatDisagreesWithItsAnnotations() throws Exception {
    Path app = TestApp.copy(dir.resolve("app"), azurite.connectionString(), Map.of());
    Path health = app.resolve("Health/function.json");
    Files.writeString(health, Files.readString(health).replace("\"health\"", "\"healthz\""));

    try {
      assertThatThrownBy(() -> LocalHost.start(app, LocalHost.Options.defaults().withHttpPort(0)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("function.json and annotations disagree")
          .hasMessageContaining("Health");
    } finally {
      App.reset();
      AppSettings.clearLocal();
    }
  }

  /** Every {@code @FunctionName} in the compiled functions package. */
  private static Set<String> annotatedFunctions() throws Exception {
    Path classes = ProjectPaths.root().resolve("target/classes/io/realtimeai/functions");
    Set<String> names = new TreeSet<>();
    List<Path> files = new ArrayList<>();
    try (Stream<Path> stream = Files.list(classes)) {
      stream.filter(p -> p.toString().endsWith(".class") && !p.getFileName().toString().contains("$")).forEach(files::add);
    }
    for (Path file : files) {
      String name = "io.realtimeai.functions." + file.getFileName().toString().replace(".class", "");
      for (Method method : Class.forName(name).getMethods()) {
        FunctionName function = method.getAnnotation(FunctionName.class);
        if (function != null) {
          names.add(function.value());
        }
      }
    }
    return names;
  }
}
