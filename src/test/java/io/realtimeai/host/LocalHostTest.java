package io.realtimeai.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
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
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private LocalHost host;

  @AfterEach
  void stop() throws Exception {
    if (host != null) {
      host.stop(Duration.ofSeconds(5));
    }
    App.reset();
    AppSettings.clearLocal();
  }

  /** A copy of the generated app's configuration and function.json files, its local settings pointed at this test's Azurite. */
  private Path app(Map<String, String> settings) throws IOException {
    return TestApp.copy(dir.resolve("app"), azurite.connectionString(), settings);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + host.httpPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void start_servesExactlyTheFunctionsTheCodeAnnotates() throws Exception {
    host = LocalHost.start(app(Map.of()), LocalHost.Options.defaults().withHttpPort(0));

    Set<String> served = new TreeSet<>(host.functions().stream().map(FunctionDescriptor::name).toList());

    assertThat(served).isEqualTo(annotatedFunctions()).isNotEmpty();
  }

  @Test
  void health_answersThroughTheHost() throws Exception {
    host = LocalHost.start(app(Map.of()), LocalHost.Options.defaults().withHttpPort(0));

    HttpResponse<String> response = get("/api/health");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.get("status").asText()).isEqualTo("Healthy");
    assertThat(body.at("/storage/reachable").asBoolean()).isTrue();
  }

  @Test
  void unknownRoute_isAJson404() throws Exception {
    host = LocalHost.start(app(Map.of()), LocalHost.Options.defaults().withHttpPort(0));

    HttpResponse<String> response = get("/api/nothing-here");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(response.body()).at("/error/code").asText()).isEqualTo("NotFound");
  }

  @Test
  void events_areListedOverHttpAndRelayedByTheTimerToEventGrid() throws Exception {
    try (EventGridReceiver receiver = EventGridReceiver.start(dir.resolve("certificates"))) {
      host = LocalHost.start(app(Map.of(
          "EVENTGRID_TOPIC_ENDPOINT", receiver.endpoint(),
          "EVENTGRID_TOPIC_KEY", "topic-key",
          "EVENTGRID_TRUSTED_CERTIFICATE", receiver.certificate().toString())),
          LocalHost.Options.defaults().withHttpPort(0));
      Event event = App.get().events().record(EventType.MODEL_REGISTERED, Subjects.model("tiny", "1"),
          Map.of("modelId", "tiny:1"), "tiny:1");

      JsonNode listed = JSON.readTree(get("/api/events").body()).get("value");
      List<JsonNode> received = receiver.await(events -> !events.isEmpty(), Duration.ofSeconds(20));

      assertThat(listed).extracting(e -> e.get("id").asText()).contains(event.id());
      assertThat(received).extracting(e -> e.get("id").asText()).containsExactly(event.id());
      assertThat(receiver.requests().get(0).header("aeg-sas-key")).isEqualTo("topic-key");
    }
  }

  @Test
  void start_refusesAFunctionJsonThatDisagreesWithItsAnnotations() throws Exception {
    Path app = app(Map.of());
    Path health = app.resolve("Health/function.json");
    Files.writeString(health, Files.readString(health).replace("\"health\"", "\"healthz\""));

    assertThatThrownBy(() -> LocalHost.start(app, LocalHost.Options.defaults().withHttpPort(0)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("function.json and annotations disagree")
        .hasMessageContaining("Health");
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
