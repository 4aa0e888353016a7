package io.realtimeai.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.Fixtures;
import io.realtimeai.testing.TestApp;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The web console as the app serves it ({@code GET /api/console/…}) on the local host, and as a
 * person uses it: Debian's headless Chromium, driven by playwright-core from npm
 * ({@code src/test/browser/console.mjs}), against a deployed fixture service. The browser part is
 * skipped, saying what is missing, where Chromium, Node.js or playwright-core is not installed.
 */
@Tag("integration")
class ConsoleBrowserTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path PLAYWRIGHT = Path.of("node_modules", "playwright-core", "package.json");
  private static final Path SCRIPT = Path.of("src", "test", "browser", "console.mjs");
  private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  @TempDir static Path dir;
  static TestApp app;

  @BeforeAll
  static void start() throws Exception {
    app = TestApp.start(azurite, dir, TestApp.localReplicas(dir));
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close();
    }
  }

  @Test
  void console_redirectsToItsFolderAndServesTypedFilesThatRevalidate() throws Exception {
    HttpResponse<String> bare = get("/api/console", Map.of());
    assertThat(bare.statusCode()).isEqualTo(302);
    assertThat(URI.create("http://localhost/api/console").resolve(bare.headers().firstValue("Location").orElseThrow()).getPath())
        .isEqualTo("/api/console/");

    HttpResponse<String> page = get("/api/console/", Map.of());
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-cache");
    assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("default-src 'self'");
    assertThat(page.body()).contains("<title>realtime-ai console</title>");

    HttpResponse<String> script = get("/api/console/console.js", Map.of());
    assertThat(script.statusCode()).isEqualTo(200);
    assertThat(script.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
    String etag = script.headers().firstValue("ETag").orElseThrow();
    HttpResponse<String> again = get("/api/console/console.js", Map.of("If-None-Match", etag));
    assertThat(again.statusCode()).isEqualTo(304);
    assertThat(again.body()).isEmpty();
    assertThat(get("/api/console/console.css", Map.of()).headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");

    HttpResponse<String> missing = get("/api/console/nope.js", Map.of());
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("\"code\":\"NotFound\"", "the console has no file 'nope.js'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api/console/../../pom.xml", "/api/console/%2e%2e/%2e%2e/pom.xml", "/api/console/..%2f..%2fpom.xml",
      "/api/console/..%5c..%5cpom.xml", "/api/console/.%2e/host.json", "/api/console/index.html%00.js"})
  void console_refusesPathsThatLeaveItsFolder(String path) throws Exception {
    HttpResponse<String> answer = get(path, Map.of());

    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(400);
    assertThat(answer.body()).contains("\"code\":\"BadRequest\"", "is not a console file").doesNotContain("<project", "routePrefix");
  }

  @Test
  void console_inChromium_loadsCleanScoresADroppedPhotoAndShowsARejectedUpload() throws Exception {
    assumeBrowser();
    Path finch = Fixtures.imagenet().resolve("imagenet_finch.jpeg");
    String model = app.register("mobilenet", Fixtures.mobilenetFolder(dir.resolve("mobilenet")), dir);
    String operation = app.createService(Map.of("name", "mobilenet", "modelId", model, "computeType", "CPU"));
    assertThat(app.awaitJson(operation, Duration.ofSeconds(180), o -> !List.of("NotStarted", "Running").contains(o.path("state").asText()))
        .path("state").asText()).isEqualTo("Succeeded");
    // a package whose definition names a stage type that does not exist: the upload is refused with that reason
    app.drop(StorageLayout.MODEL_UPLOADS, "bad-console.zip", zip("service_def.json", "{\"pipeline\": [{\"type\": \"caffe\"}]}"));
    JsonNode rejected = app.awaitJson("/api/uploads/bad-console", Duration.ofSeconds(60), s -> s.path("state").asText().equals("Rejected"));
    String reason = rejected.path("reasons").get(0).asText();
    // a folder's result arrives while the console watches
    app.drop(StorageLayout.IMAGES, "mobilenet/console/imagenet_finch.jpeg", Files.readAllBytes(finch));
    TestApp.Answer refused = app.post("/api/services", Map.of("name", "mobilenet", "modelId", model, "computeType", "CPU", "numReplicas", 1));
    JsonNode keys = app.get("/api/services/mobilenet/keys").body();

    List<String> command = List.of("node", SCRIPT.toString(), "--base", "http://localhost:" + app.host().httpPort(),
        "--service", "mobilenet", "--image", finch.toString(), "--expect", "house finch",
        "--upload", "bad-console", "--reason", reason, "--screenshots", Path.of("target", "console-screenshots").toString());
    String output = run(command);

    assertThat(output).contains("ok load: realtime-ai console; Healthy", "ok drop: top-1 house finch 0.99", "ok pick: top-1 house finch",
        "ok upload: " + reason, "ok results: console/imagenet_finch.jpeg Scored house finch", "ok events", "ok latency",
        "ok no console errors", "all scenarios passed");
    assertThat(output).containsPattern("ok drop: .*round trip [0-9.]+ ms.*function [0-9.]+ ms.*(runtime|inference) [0-9.]+ ms");
    // the latency panel: the service's histogram where the app serves metrics, else it says there are none yet
    if (get("/api/metrics", Map.of()).statusCode() == 200) {
      // The app's registry is the JVM's, as on a Functions worker: services of earlier test classes may be listed too.
      assertThat(output).containsPattern("ok latency: (.* )?mobilenet [0-9]+ call\\(s\\) · mean");
    } else {
      assertThat(output).contains("ok latency: No metrics yet");
    }
    // every refusal shows the API's own words
    assertThat(refused.status()).isEqualTo(409);
    assertThat(output).contains("ok refusal: " + refused.body().at("/error/code").asText() + ": " + refused.body().at("/error/message").asText());
    // keys are never shown whole: only their last four characters
    String primary = keys.get("primaryKey").asText();
    String secondary = keys.get("secondaryKey").asText();
    assertThat(output).contains("ok keys: primary ••••••••" + primary.substring(primary.length() - 4))
        .doesNotContain(primary, secondary);
    // the only HTTP errors were the refusal the scenarios asked for (and metrics, until the app serves them)
    Matcher refusals = Pattern.compile("ok no console errors: none; HTTP refusals: (.*)").matcher(output);
    if (refusals.find()) {
      assertThat(refusals.group(1).split(", ")).allMatch(r -> r.equals("POST /api/services 409") || r.equals("GET /api/metrics 404"));
    }
  }

  /** Skips, saying what is missing, unless Chromium, Node.js and playwright-core are all installed. */
  private static void assumeBrowser() {
    List<String> missing = new ArrayList<>();
    if (!Files.isExecutable(CHROMIUM)) {
      missing.add(CHROMIUM + " (Debian's chromium: the build installs it with apt-get when it runs as root, scripts/install-browser)");
    }
    if (!onPath("node")) {
      missing.add("node (Node.js 20 on the PATH)");
    }
    if (!Files.isRegularFile(PLAYWRIGHT)) {
      missing.add(PLAYWRIGHT.getParent() + " (npm ci installs it from package-lock.json)");
    }
    if (!missing.isEmpty()) {
      String message = "skipping the console's browser tests: missing " + String.join("; ", missing);
      // Failsafe counts skips but does not print why: say it where the build log shows it.
      System.err.println("[console] " + message);
      assumeTrue(false, message);
    }
  }

  private static boolean onPath(String program) {
    for (String folder : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!folder.isEmpty() && Files.isExecutable(Path.of(folder, program))) {
        return true;
      }
    }
    return false;
  }

  private static String run(List<String> command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Thread reader = new Thread(() -> {
      try {
        process.getInputStream().transferTo(out);
      } catch (java.io.IOException e) {
        // the process ended; what it wrote is kept
      }
    }, "console-browser-output");
    reader.start();
    boolean ended = process.waitFor(5, TimeUnit.MINUTES);
    if (!ended) {
      process.destroyForcibly();
    }
    reader.join(10_000);
    String output = out.toString(StandardCharsets.UTF_8);
    System.out.println(output);
    assertThat(ended).as("the browser run ended within 5 minutes:\n" + output).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    return output;
  }

  private static HttpResponse<String> get(String path, Map<String, String> headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + app.host().httpPort() + path));
    headers.forEach(request::header);
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static byte[] zip(String name, String content) throws java.io.IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      zip.putNextEntry(new ZipEntry(name));
      zip.write(content.getBytes(StandardCharsets.UTF_8));
      zip.closeEntry();
    }
    return bytes.toByteArray();
  }
}
