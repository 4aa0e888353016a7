package io.realtimeai.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.realtimeai.app.App;
import io.realtimeai.app.AppSettings;
import io.realtimeai.app.ProjectPaths;
import io.realtimeai.events.RecordedEvent;
import io.realtimeai.host.LocalHost;
import io.realtimeai.packaging.ModelPackager;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.storage.Storage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The app as the build generated it (target/azure-functions/realtime-ai), on the local host,
 * over a test's Azurite: what integration tests drive over HTTP and blob drops.
 */
public final class TestApp implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final LocalHost host;
  private final Storage storage;
  private final HttpClient http = HttpClient.newHttpClient();

  private TestApp(LocalHost host, Storage storage) {
    this.host = host;
    this.storage = storage;
  }

  /**
   * The settings of an app whose replicas are local runtime processes of the built jar, in {@code dir/replicas},
   * with {@code more} (name, value, name, value …) added.
   */
  public static Map<String, String> localReplicas(Path dir, String... more) {
    if (more.length % 2 != 0) {
      throw new IllegalArgumentException("settings come in name, value pairs");
    }
    Map<String, String> settings = new java.util.LinkedHashMap<>();
    settings.put("REPLICA_STATE_DIR", dir.resolve("replicas").toString());
    settings.put("RUNTIME_JAR", System.getProperty("project.jar", "target/realtime-ai.jar"));
    for (int k = 0; k < more.length; k += 2) {
      settings.put(more[k], more[k + 1]);
    }
    return settings;
  }

  /**
   * Starts the generated app in {@code dir}, its {@code local.settings.json} pointed at
   * {@code azurite} plus {@code settings}; blob containers are scanned every 200 ms.
   */
  public static TestApp start(AzuriteExtension azurite, Path dir, Map<String, String> settings) throws Exception {
    return start(azurite, azurite.connectionString(), dir, settings);
  }

  /**
   * Starts the generated app as {@link #start(AzuriteExtension, Path, Map)} does, but reaching
   * storage by {@code connectionString} (for instance through {@link TcpLink}s to {@code azurite}).
   */
  public static TestApp start(AzuriteExtension azurite, String connectionString, Path dir, Map<String, String> settings)
      throws Exception {
    App.reset();
    AppSettings.clearLocal();
    Path app = copy(dir.resolve("app"), connectionString, settings);
    LocalHost host = LocalHost.start(app, LocalHost.Options.defaults().withHttpPort(0)
        .withBlobPollInterval(Duration.ofMillis(200)));
    return new TestApp(host, azurite.storage());
  }

  /**
   * Points the stacks this JVM starts in-process ({@code bench}, {@code demo}) at {@code dir} for their replicas:
   * never the project's .realtime-ai/replicas, as a provider adopts every runtime running under its folder and stops
   * them when it closes, and test classes run side by side (failsafe's it.forks).
   */
  public static void replicasIn(Path dir) {
    AppSettings.putLocal(Map.of("REPLICA_STATE_DIR", dir.toString()));
  }

  /** Copies the generated app's host.json and function.json files, with its own local.settings.json. */
  public static Path copy(Path target, String connectionString, Map<String, String> settings) throws IOException {
    Path generated = ProjectPaths.functionApp();
    Files.createDirectories(target);
    Files.copy(generated.resolve("host.json"), target.resolve("host.json"));
    try (Stream<Path> folders = Files.list(generated)) {
      for (Path folder : folders.filter(f -> Files.isRegularFile(f.resolve("function.json"))).toList()) {
        Files.createDirectories(target.resolve(folder.getFileName()));
        Files.copy(folder.resolve("function.json"), target.resolve(folder.getFileName()).resolve("function.json"));
      }
    }
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("AzureWebJobsStorage", connectionString);
    // Never the project's .realtime-ai/replicas (see replicasIn).
    values.put("REPLICA_STATE_DIR", target.resolveSibling("replicas").toString());
    values.put("FUNCTIONS_WORKER_RUNTIME", "java");
    values.putAll(settings);
    JSON.writeValue(target.resolve("local.settings.json").toFile(), Map.of("IsEncrypted", false, "Values", values));
    return target;
  }

  /** Packages {@code folder} in {@code work}, drops the zip into {@code incoming}, registers it as {@code name}, and answers the model id. */
  public String register(String name, Path folder, Path work) throws Exception {
    Path zip = work.resolve(folder.getFileName() + ".zip");
    ModelPackager.pack(folder, zip, AcceleratedCatalog.none());
    drop("incoming", zip.getFileName().toString(), Files.readAllBytes(zip));
    Answer answer = post("/api/models", Map.of("name", name, "blobPath", "incoming/" + zip.getFileName()));
    assertThat(answer.status()).as(answer.text()).isEqualTo(200);
    return answer.body().get("id").asText();
  }

  /** POSTs {@code body} to {@code /api/services}, expects 202, and answers the operation's path. */
  public String createService(Map<String, ?> body) throws Exception {
    Answer accepted = post("/api/services", body);
    assertThat(accepted.status()).as(accepted.text()).isEqualTo(202);
    return "/api/operations/" + accepted.body().get("id").asText();
  }

  /** The recorded events of {@code type} about exactly {@code subject}. */
  public static List<RecordedEvent> events(String type, String subject) {
    return eventsUnder(type, subject).stream().filter(e -> e.event().subject().equals(subject)).toList();
  }

  /** The recorded events of {@code type} whose subject starts with {@code subjectPrefix}, from every page of the outbox. */
  public static List<RecordedEvent> eventsUnder(String type, String subjectPrefix) {
    List<RecordedEvent> found = new ArrayList<>();
    String continuation = null;
    do {
      var page = App.get().events().list(null, 1000, continuation);
      page.events().stream().filter(e -> e.event().eventType().equals(type) && e.event().subject().startsWith(subjectPrefix))
          .forEach(found::add);
      continuation = page.continuation();
    } while (continuation != null);
    return found;
  }

  /** The host. */
  public LocalHost host() {
    return host;
  }

  /** The storage the app runs on. */
  public Storage storage() {
    return storage;
  }

  /** A status and a JSON body. */
  public record Answer(int status, JsonNode body, String text) {}

  /** GET {@code path}. */
  public Answer get(String path) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  /** POST {@code json} to {@code path}. */
  public Answer post(String path, Object json) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json instanceof String text ? text : JSON.writeValueAsString(json))));
  }

  /** PATCH {@code json} to {@code path}. */
  public Answer patch(String path, Object json) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .method("PATCH", HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(json))));
  }

  /** PUT {@code json} to {@code path}. */
  public Answer put(String path, Object json) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(json))));
  }

  /** DELETE {@code path}. */
  public Answer delete(String path) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).DELETE());
  }

  private Answer send(HttpRequest.Builder request) throws Exception {
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    String text = response.body();
    JsonNode body = text == null || text.isBlank() ? null : JSON.readTree(text);
    return new Answer(response.statusCode(), body, text);
  }

  private URI uri(String path) {
    return URI.create("http://localhost:" + host.httpPort() + path);
  }

  /** Uploads {@code bytes} to {@code container/blob}, overwriting. */
  public void drop(String container, String blob, byte[] bytes) {
    storage.container(container).createIfNotExists();
    storage.container(container).getBlobClient(blob).upload(com.azure.core.util.BinaryData.fromBytes(bytes), true);
  }

  /** Polls {@code value} until it is non-null, or fails after {@code timeout} with {@code what}. */
  public static <T> T await(String what, Duration timeout, Supplier<T> value) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      T current = value.get();
      if (current != null) {
        return current;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
  }

  /** Polls {@code GET path} until {@code done} holds for its JSON body (or fails after {@code timeout}). */
  public JsonNode awaitJson(String path, Duration timeout, java.util.function.Predicate<JsonNode> done) throws InterruptedException {
    return await(path, timeout, () -> {
      try {
        Answer answer = get(path);
        return answer.status() == 200 && done.test(answer.body()) ? answer.body() : null;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /** Stops the host and the app (its replica processes too), as a host shutdown does. */
  @Override
  public void close() throws Exception {
    host.stop(Duration.ofSeconds(10));
    App.reset();
    AppSettings.clearLocal();
  }
}
