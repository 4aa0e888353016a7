package io.realtimeai.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.sas.BlobSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.deployment.kubernetes.PackageLocations;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.packaging.ModelPackager;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestImages;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code realtime-ai runtime} reading its package and catalog from blob URLs, as the Kubernetes
 * provider starts it: a real Azurite, URLs made by {@link PackageLocations}, a child process.
 */
@Tag("integration")
class RuntimeFromStorageTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();

  // A name segment that must be URL-encoded: the Kubernetes provider encodes each segment.
  private static final String SPACED_BLOB = "tiny model/v1/model.zip";
  private static final String BLOB = "tiny/1/model.zip";
  private static final String ACCELERATED_BLOB = "with-featurizer/1/model.zip";

  @TempDir static Path shared;
  @TempDir Path dir;

  private static String sha256;
  private static PackageLocations locations;

  @BeforeAll
  static void uploadPackagesAndCatalog() throws Exception {
    Storage storage = azurite.storage();
    BlobContainerClient models = storage.container(StorageLayout.MODELS);
    models.createIfNotExists();
    Path zip = shared.resolve("tiny.zip");
    sha256 = ModelPackager.pack(ModelFolders.tinyClassifier(shared.resolve("tiny")), zip, AcceleratedCatalog.none()).sha256();
    models.getBlobClient(SPACED_BLOB).uploadFromFile(zip.toString(), true);
    models.getBlobClient(BLOB).uploadFromFile(zip.toString(), true);

    // A head behind the catalog's featurizer 'tiny/1'; the catalog also holds an entry the package does not name.
    Path folder = shared.resolve("with-featurizer");
    ModelFolders.model(folder, ModelKind.TINY_HEAD, "head.onnx");
    ModelFolders.labels(folder, 10);
    ModelFolders.definition(folder, "{ 'pipeline': [" + ModelFolders.IMAGE_STAGE.replace('"', '\'')
        + ", { 'type': 'brainwave', 'model_ref': 'tiny', 'model_version': '1', 'output_tensor_dims': [1, 8] },"
        + " { 'type': 'onnx', 'model_path': 'head.onnx' } ], 'labels': 'labels.txt' }");
    Path acceleratedZip = shared.resolve("with-featurizer.zip");
    ModelPackager.pack(folder, acceleratedZip, AcceleratedCatalog.none());
    models.getBlobClient(ACCELERATED_BLOB).uploadFromFile(acceleratedZip.toString(), true);

    BlobContainerClient catalog = storage.container(StorageLayout.ACCELERATED_MODELS);
    catalog.createIfNotExists();
    Path featurizer = ModelFolders.model(shared.resolve("catalog"), ModelKind.TINY_FEATURIZER, "model.onnx");
    catalog.getBlobClient("tiny/1/model.onnx").uploadFromFile(featurizer.toString(), true);
    catalog.getBlobClient("unused/1/model.onnx").uploadFromFile(featurizer.toString(), true);

    locations = PackageLocations.of(storage);
  }

  @Test
  void runtime_servesAPackageFromAnEncodedBlobUrlWithTheConnectionStringInTheEnvironment() throws Exception {
    String url = locations.packageUrl(SPACED_BLOB);
    assertThat(url).contains("/models/tiny%20model/v1/model.zip");

    Path portFile = dir.resolve("port");
    Process process = start(Map.of("REALTIME_AI_STORAGE", azurite.connectionString()),
        "--package", url, "--package-sha256", sha256, "--port-file", portFile.toString());
    try {
      scoreOneImage(portFile, process);
      assertThat(Files.readString(dir.resolve("out.txt"))).contains("downloading " + url + " (").contains("downloaded ");
    } finally {
      process.destroyForcibly();
    }
  }

  @Test
  void runtime_servesAPackageFromASasUrlWithoutAConnectionString() throws Exception {
    Path portFile = dir.resolve("port");
    Process process = start(Map.of(), "--package", sasUrl(BLOB), "--package-sha256", sha256,
        "--port-file", portFile.toString());
    try {
      scoreOneImage(portFile, process);
      String out = Files.readString(dir.resolve("out.txt"));
      assertThat(out).contains("downloading " + locations.packageUrl(BLOB) + " (").doesNotContain("sig=");
    } finally {
      process.destroyForcibly();
    }
  }

  @Test
  void runtime_downloadsOnlyTheCatalogEntriesThePackageNames() throws Exception {
    Path portFile = dir.resolve("port");
    Path work = dir.resolve("work");
    Process process = start(Map.of("REALTIME_AI_STORAGE", azurite.connectionString()),
        "--package", locations.packageUrl(ACCELERATED_BLOB), "--catalog", locations.catalogUrl(),
        "--work-dir", work.toString(), "--port-file", portFile.toString());
    try {
      scoreOneImage(portFile, process);
      List<String> models;
      try (Stream<Path> files = Files.walk(work)) {
        models = files.filter(f -> f.getFileName().toString().equals("model.onnx"))
            .map(f -> f.getParent().getParent().getFileName() + "/" + f.getParent().getFileName()).toList();
      }
      assertThat(models).containsExactly("tiny/1");
      assertThat(Files.readString(dir.resolve("out.txt")))
          .contains("downloading " + locations.catalogUrl() + "/tiny/1/model.onnx (");
    } finally {
      process.destroyForcibly();
    }
  }

  @Test
  void runtime_namesTheCatalogUrlWhenItLacksAnEntryThePackageNames() throws Exception {
    String lacking = azurite.storage().container(StorageLayout.MODELS).getBlobContainerUrl();
    String line = failure(Map.of("REALTIME_AI_STORAGE", azurite.connectionString()),
        "--package", locations.packageUrl(ACCELERATED_BLOB), "--catalog", lacking);
    assertThat(line).contains("'tiny/1' is not in the accelerated model catalog (catalog " + lacking + ")");
  }

  @Test
  void runtime_refusesAPackageWhoseSha256IsNotTheRegisteredOne() throws Exception {
    String url = locations.packageUrl(BLOB);
    String expected = "0".repeat(64);
    String line = failure(Map.of("REALTIME_AI_STORAGE", azurite.connectionString()),
        "--package", url, "--package-sha256", expected);
    assertThat(line).startsWith("realtime-ai: ").contains(url).contains(sha256).contains(expected);
  }

  @Test
  void runtime_refusesALocalZipWhoseSha256IsNotTheGivenOne() throws Exception {
    String expected = "f".repeat(64);
    String line = failure(Map.of(), "--package", shared.resolve("tiny.zip").toString(), "--package-sha256", expected);
    assertThat(line).contains("tiny.zip").contains(sha256).contains(expected);
  }

  @Test
  void runtime_reportsARefusedSasInOneLineWithoutItsSignature() throws Exception {
    String forged = Base64.getEncoder().encodeToString(new byte[32]);
    String url = sasUrl(BLOB).replaceAll("sig=[^&]+", "sig=" + URLEncoder.encode(forged, StandardCharsets.UTF_8));
    String line = failure(Map.of(), "--package", url);
    assertThat(line).contains(locations.packageUrl(BLOB)).contains("403").doesNotContain("sig=")
        .doesNotContain(forged).doesNotContain(URLEncoder.encode(forged, StandardCharsets.UTF_8));
  }

  @Test
  void runtime_reportsARefusedAccountKeyInOneLine() throws Exception {
    String wrongKey = Base64.getEncoder().encodeToString(new byte[64]);
    String connection = azurite.connectionString().replace(Storage.DEV_KEY, wrongKey);
    String line = failure(Map.of("REALTIME_AI_STORAGE", connection), "--package", locations.packageUrl(BLOB));
    assertThat(line).contains(locations.packageUrl(BLOB)).contains("403").doesNotContain(wrongKey);
  }

  @Test
  void runtime_reportsAMissingBlobInOneLine() throws Exception {
    String url = locations.packageUrl("absent/1/model.zip");
    String line = failure(Map.of("REALTIME_AI_STORAGE", azurite.connectionString()), "--package", url);
    assertThat(line).contains(url).contains("404");
  }

  @Test
  void runtime_refusesABlobOverTheDownloadLimitBeforeDownloading() throws Exception {
    String url = locations.packageUrl(BLOB);
    String line = failure(Map.of("REALTIME_AI_STORAGE", azurite.connectionString()),
        "--package", url, "--max-download-bytes", "1000", "--work-dir", dir.resolve("work").toString());
    assertThat(line).contains(url).contains("--max-download-bytes").contains("1000");
    try (Stream<Path> files = Files.walk(dir.resolve("work"))) {
      assertThat(files.filter(Files::isRegularFile)).isEmpty();
    }
  }

  @Test
  void runtime_reportsAnUnreachableEndpointInOneLineWithinSeconds() throws Exception {
    int closedPort;
    try (var socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    String url = "http://127.0.0.1:" + closedPort + "/" + Storage.DEV_ACCOUNT + "/models/tiny/1/model.zip";
    long started = System.nanoTime();
    String line = failure(Map.of("REALTIME_AI_STORAGE", azurite.connectionString()), "--package", url);
    assertThat(line).contains(url).contains("cannot reach");
    assertThat((System.nanoTime() - started) / 1e9).isLessThan(60);
  }

  /** A blob URL as the Kubernetes provider makes it, with a read SAS made by the SDK. */
  private static String sasUrl(String blob) {
    BlobClient client = azurite.storage().container(StorageLayout.MODELS).getBlobClient(blob);
    String sas = client.generateSas(new BlobServiceSasSignatureValues(OffsetDateTime.now().plusHours(1),
        new BlobSasPermission().setReadPermission(true)));
    return locations.packageUrl(blob) + "?" + sas;
  }

  private Process start(Map<String, String> environment, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", System.getProperty("project.jar", "target/realtime-ai.jar"),
        "runtime", "--port", "0", "--intra-op-threads", "1"));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(dir.resolve("out.txt").toFile())
        .redirectError(dir.resolve("err.txt").toFile());
    builder.environment().remove("REALTIME_AI_STORAGE");
    builder.environment().putAll(environment);
    return builder.start();
  }

  /** Runs the runtime to its failure; answers the one error line, after checking the exit code and the rest of stderr. */
  private String failure(Map<String, String> environment, String... args) throws Exception {
    Process process = start(environment, args);
    try {
      assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("exited").isTrue();
      assertThat(process.exitValue()).isEqualTo(1);
      List<String> lines = Files.readAllLines(dir.resolve("err.txt")).stream()
          .filter(l -> !l.equals("realtime-ai runtime: stopped")).toList();
      assertThat(lines).as("stderr").hasSize(1);
      assertThat(lines.get(0)).startsWith("realtime-ai: ");
      return lines.get(0);
    } finally {
      process.destroyForcibly();
    }
  }

  private void scoreOneImage(Path portFile, Process process) throws Exception {
    int port = awaitPort(portFile, process);
    try (PredictionClient client = PredictionClient.builder("localhost:" + port).build()) {
      var health = HealthGrpc.newBlockingStub(client.channel());
      for (int i = 0; i < 600 && process.isAlive(); i++) {
        if (health.check(HealthCheckRequest.getDefaultInstance()).getStatus() == ServingStatus.SERVING) {
          assertThat(client.classify(List.of(TestImages.jpeg()), 1)).hasSize(1);
          return;
        }
        Thread.sleep(100);
      }
    }
    throw new AssertionError("never SERVING; the process " + (process.isAlive() ? "is alive" : "exited")
        + "; stderr: " + Files.readString(dir.resolve("err.txt")));
  }

  private int awaitPort(Path portFile, Process process) throws Exception {
    for (int i = 0; i < 600 && process.isAlive(); i++) {
      if (Files.exists(portFile)) {
        return Integer.parseInt(Files.readString(portFile).strip());
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no port file; the process " + (process.isAlive() ? "is still starting" : "exited")
        + "; stderr: " + Files.readString(dir.resolve("err.txt")));
  }
}
