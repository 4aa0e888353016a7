package io.realtimeai.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.storage.Storage;
import io.realtimeai.packaging.ModelPackager;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The local host as a real child process, {@code realtime-ai up --port 0} over a test's Azurite,
 * its replicas under a folder of the test's: started, killed with SIGKILL, stopped with SIGTERM and
 * started again, each start's output in {@code host-N.txt}.
 */
public final class HostProcess implements AutoCloseable {
  private static final Pattern FUNCTIONS = Pattern.compile("functions\\s+http://localhost:(\\d+)/api/");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final String connectionString;
  private final Path dir;
  private final Map<String, String> environment;
  private Process process;
  private int port;
  private int starts;

  private HostProcess(String connectionString, Path dir, Map<String, String> environment) {
    this.connectionString = connectionString;
    this.dir = dir;
    this.environment = environment;
  }

  /** Starts a host on {@code connectionString}, its replicas in {@code dir/replicas}, with {@code environment} added. */
  public static HostProcess start(String connectionString, Path dir, Map<String, String> environment) throws Exception {
    HostProcess host = new HostProcess(connectionString, dir, environment);
    host.start();
    return host;
  }

  /** Starts the host (again) and waits for its banner. */
  public void start() throws Exception {
    Path out = dir.resolve("host-" + (++starts) + ".txt");
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", System.getProperty("project.jar", "target/realtime-ai.jar"), "up", "--port", "0")
        .redirectErrorStream(true).redirectOutput(out.toFile());
    builder.environment().put("AzureWebJobsStorage", connectionString);
    builder.environment().put("REPLICA_STATE_DIR", replicas().toString());
    builder.environment().putAll(environment);
    Process started = builder.start();
    process = started;
    port = Integer.parseInt(TestApp.await("the host's banner", Duration.ofSeconds(60), () -> {
      try {
        Matcher matcher = FUNCTIONS.matcher(Files.readString(out));
        if (!started.isAlive()) {
          throw new AssertionError("the host exited:\n" + Files.readString(out));
        }
        return matcher.find() ? matcher.group(1) : null;
      } catch (IOException e) {
        return null;
      }
    }));
  }

  /** Kills the host with SIGKILL, as a crash or an out-of-memory killer would; its replicas live on. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
  }

  /** Stops the host with SIGTERM; true when it exited within 90 s. */
  public boolean stop() throws InterruptedException {
    process.destroy();
    return process.waitFor(90, TimeUnit.SECONDS);
  }

  /** The port of its HTTP API. */
  public int port() {
    return port;
  }

  /** Where its replicas keep their folders. */
  public Path replicas() {
    return dir.resolve("replicas");
  }

  /** How many times it was started. */
  public int starts() {
    return starts;
  }

  /** Runtime processes of its replicas, the host's or orphaned by a kill. */
  public List<ProcessHandle> runtimes() {
    String folder = replicas().toString();
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().map(c -> c.contains(folder) && c.contains(" runtime ")).orElse(false))
        .filter(ProcessHandle::isAlive)
        .toList();
  }

  /** Kills the host and every runtime process of its replicas. */
  /** The host's URI for {@code path} ({@code /api/…}). */
  public URI uri(String path) {
    return URI.create("http://localhost:" + port + path);
  }

  /** Calls the host's API and answers the JSON body; fails the test on anything but a 2xx. */
  public JsonNode call(String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isBetween(200, 299);
    return JSON.readTree(response.body());
  }

  /** GETs {@code path} until its body satisfies {@code done} (a host down meanwhile is waited out), for {@code timeout}. */
  public JsonNode await(String path, String what, Duration timeout, Predicate<JsonNode> done) throws InterruptedException {
    return TestApp.await(path + " " + what, timeout, () -> {
      try {
        JsonNode body = call("GET", path, null);
        return done.test(body) ? body : null;
      } catch (Exception e) {
        return null;
      }
    });
  }

  /** Packages the tiny classifier, uploads it to {@code incoming/tiny.zip} and registers it: answers the model id. */
  public String registerTiny(Storage storage) throws Exception {
    Path zip = dir.resolve("tiny.zip");
    ModelPackager.pack(ModelFolders.tinyClassifier(dir.resolve("tiny")), zip, AcceleratedCatalog.none());
    storage.container("incoming").createIfNotExists();
    storage.container("incoming").getBlobClient("tiny.zip").uploadFromFile(zip.toString(), true);
    return call("POST", "/api/models", "{\"name\": \"tiny\", \"blobPath\": \"incoming/tiny.zip\"}").get("id").asText();
  }

  @Override
  public void close() {
    if (process != null) {
      process.destroyForcibly();
    }
    runtimes().forEach(ProcessHandle::destroyForcibly);
  }
}
