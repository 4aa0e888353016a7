package io.realtimeai.cli;

import com.azure.core.util.BinaryData;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.realtimeai.app.AppSettings;
import io.realtimeai.app.ProjectPaths;
import io.realtimeai.host.LocalSettings;
import io.realtimeai.pipeline.ServiceDefinition;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code realtime-ai upload}: drops a model folder or zip into {@code model-uploads} with the
 * Azure Storage SDK (what any storage tool does) and follows it to its registration.
 */
@Command(name = "upload", mixinStandardHelpOptions = true,
    description = {"Drop a model folder (service_def.json and its files) or a package zip into the model-uploads",
        "container, then wait until the app registers or refuses it."})
final class UploadCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Parameters(index = "0", paramLabel = "DIR|ZIP", description = "The model folder or package zip.")
  Path source;

  @Option(names = "--name", description = "The model name (default: the folder's or zip's name).")
  String name;

  @Option(names = "--api", defaultValue = "http://localhost:7071",
      description = "The app's address, to follow the upload (default: ${DEFAULT-VALUE}).")
  String api;

  @Option(names = "--catalog", paramLabel = "REF/VERSION",
      description = "Drop an ONNX featurizer into the accelerated model catalog as REF/VERSION instead.")
  String catalogEntry;

  @Option(names = "--connection", paramLabel = "STRING",
      description = "Storage connection string (default: AzureWebJobsStorage, else UseDevelopmentStorage=true).")
  String connection;

  @Option(names = "--no-wait", description = "Drop the files and return.")
  boolean noWait;

  @Option(names = "--timeout", defaultValue = "120", description = "Seconds to wait for the outcome (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Override
  public Integer call() throws Exception {
    if (connection == null) {
      AppSettings.putLocal(LocalSettings.read(ProjectPaths.functionApp().resolve("local.settings.json")).values());
    }
    Storage storage = Storage.connect(connection != null ? connection
        : AppSettings.get(AppSettings.STORAGE, "UseDevelopmentStorage=true"));
    if (catalogEntry != null) {
      return catalog(storage);
    }
    boolean zip = Files.isRegularFile(source);
    String model = name != null ? name : source.getFileName().toString().replaceFirst("(?i)\\.zip$", "");
    var container = storage.container(StorageLayout.MODEL_UPLOADS);
    container.createIfNotExists();
    if (zip) {
      System.out.printf(Locale.ROOT, "uploading %s to %s/%s.zip …%n", source, StorageLayout.MODEL_UPLOADS, model);
      container.getBlobClient(model + ".zip").upload(BinaryData.fromFile(source), true);
    } else {
      List<Path> files = new ArrayList<>();
      try (Stream<Path> walk = Files.walk(source)) {
        walk.filter(Files::isRegularFile).sorted().forEach(files::add);
      }
      // The definition last: the app packages the folder as soon as everything it names is there.
      files.sort((a, b) -> Boolean.compare(a.endsWith(ServiceDefinition.FILE_NAME), b.endsWith(ServiceDefinition.FILE_NAME)));
      System.out.printf(Locale.ROOT, "uploading %d files to %s/%s/ …%n", files.size(), StorageLayout.MODEL_UPLOADS, model);
      for (Path file : files) {
        String relative = source.relativize(file).toString().replace('\\', '/');
        container.getBlobClient(model + "/" + relative).upload(BinaryData.fromFile(file), true);
        System.out.printf(Locale.ROOT, "  %s (%,d bytes)%n", relative, Files.size(file));
      }
    }
    if (noWait) {
      return 0;
    }
    return follow(model);
  }

  private int catalog(Storage storage) throws Exception {
    String[] parts = catalogEntry.split("/");
    if (parts.length != 2 || !io.realtimeai.pipeline.AcceleratedCatalog.isValidName(parts[0])
        || !io.realtimeai.pipeline.AcceleratedCatalog.isValidName(parts[1]) || !Files.isRegularFile(source)) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "--catalog takes REF/VERSION (letters, digits, '.', '-', '_') and the source must be an .onnx file");
    }
    String blob = catalogEntry + "/model.onnx";
    var container = storage.container(StorageLayout.ACCELERATED_MODELS);
    container.createIfNotExists();
    System.out.printf(Locale.ROOT, "uploading %s to %s/%s (%,d bytes) …%n", source, StorageLayout.ACCELERATED_MODELS, blob,
        Files.size(source));
    container.getBlobClient(blob).upload(BinaryData.fromFile(source), true);
    if (noWait) {
      return 0;
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    System.out.printf(Locale.ROOT, "waiting for %s/api/accelerated-models/%s …%n", api, catalogEntry);
    long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
    while (System.nanoTime() < deadline) {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(api + "/api/accelerated-models/"
          + catalogEntry)).build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 200) {
        JsonNode entry = JSON.readTree(response.body());
        String etag = container.getBlobClient(blob).getProperties().getETag();
        if (entry.path("etag").asText().replace("\"", "").equals(etag.replace("\"", ""))) {
          if (entry.path("state").asText().equals("Valid")) {
            System.out.printf(Locale.ROOT, "catalog entry %s is valid: %s → %s%n", catalogEntry,
                tensors(entry.path("inputs")), tensors(entry.path("outputs")));
            return 0;
          }
          System.err.println("catalog entry " + catalogEntry + " is invalid:");
          entry.path("reasons").forEach(r -> System.err.println("  - " + r.asText()));
          return 1;
        }
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("no outcome within " + timeoutSeconds + " s: is ./realtime-ai up running at " + api + "?");
  }

  private static String tensors(JsonNode specs) {
    List<String> out = new ArrayList<>();
    specs.forEach(t -> out.add(t.path("name").asText() + " " + t.path("type").asText() + t.path("shape").toString()));
    return String.join(", ", out);
  }

  private int follow(String model) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    System.out.printf(Locale.ROOT, "waiting for %s/api/uploads/%s …%n", api, model);
    long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(api + "/api/uploads/" + model)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 200) {
        JsonNode status = JSON.readTree(response.body());
        String state = status.path("state").asText();
        if (state.equals("Registered")) {
          JsonNode record = JSON.readTree(http.send(HttpRequest.newBuilder(
              URI.create(api + "/api/models/" + status.path("modelId").asText())).build(), HttpResponse.BodyHandlers.ofString()).body());
          System.out.printf(Locale.ROOT, "registered %s: sha256 %s, %,d bytes, %s%n", record.path("id").asText(),
              record.path("sha256").asText(), record.path("size").asLong(), record.path("url").asText());
          return 0;
        }
        if (state.equals("Rejected")) {
          System.err.println("rejected:");
          status.path("reasons").forEach(r -> System.err.println("  - " + r.asText()));
          return 1;
        }
        String now = "pending, waiting for " + String.join(", ", JSON.convertValue(status.path("missing"), List.class));
        if (!now.equals(last)) {
          System.out.println("  " + now);
          last = now;
        }
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("no outcome within " + timeoutSeconds + " s: is ./realtime-ai up running at " + api + "?");
  }
}
