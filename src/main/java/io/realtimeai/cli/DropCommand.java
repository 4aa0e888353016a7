package io.realtimeai.cli;

import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import com.fasterxml.jackson.databind.JsonNode;
import io.realtimeai.app.AppSettings;
import io.realtimeai.app.ProjectPaths;
import io.realtimeai.host.LocalSettings;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code realtime-ai drop}: drops images into {@code images/{service}/{folder}/} with the Azure
 * Storage SDK (what any storage tool does) and follows each to its result document.
 */
@Command(name = "drop", mixinStandardHelpOptions = true,
    description = {"Drop images (files, or every file under a folder) into images/SERVICE/FOLDER/ for drop-folder",
        "scoring, then wait for the result of each and print its top class."})
final class DropCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SERVICE", description = "The service (its name) that scores the images.")
  String service;

  @Parameters(index = "1..*", arity = "1..*", paramLabel = "IMAGE|DIR", description = "Image files, or folders of them.")
  List<Path> sources;

  @Option(names = "--folder", defaultValue = "dropped",
      description = "The folder under images/SERVICE/ (default: ${DEFAULT-VALUE}).")
  String folder;

  @Option(names = "--api", defaultValue = "http://localhost:7071",
      description = "The app's address, to read the results (default: ${DEFAULT-VALUE}).")
  String api;

  @Option(names = "--connection", paramLabel = "STRING",
      description = "Storage connection string (default: AzureWebJobsStorage, else UseDevelopmentStorage=true).")
  String connection;

  @Option(names = "--no-wait", description = "Drop the images and return.")
  boolean noWait;

  @Option(names = "--timeout", defaultValue = "120", description = "Seconds to wait for the results (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Override
  public Integer call() throws Exception {
    Map<String, Path> images = images();
    if (connection == null) {
      AppSettings.putLocal(LocalSettings.read(ProjectPaths.functionApp().resolve("local.settings.json")).values());
    }
    Storage storage = Storage.connect(connection != null ? connection
        : AppSettings.get(AppSettings.STORAGE, "UseDevelopmentStorage=true"));
    var container = storage.container(StorageLayout.IMAGES);
    container.createIfNotExists();
    String prefix = folder.isBlank() ? "" : folder.replaceAll("^/+|/+$", "") + "/";
    System.out.printf(Locale.ROOT, "dropping %d image(s) into %s/%s/%s …%n", images.size(), StorageLayout.IMAGES, service, prefix);
    long start = System.nanoTime();
    Map<String, String> versions = new LinkedHashMap<>();
    for (Map.Entry<String, Path> image : images.entrySet()) {
      String path = prefix + image.getKey();
      String etag = container.getBlobClient(service + "/" + path).uploadWithResponse(
          new BlobParallelUploadOptions(BinaryData.fromFile(image.getValue())), null,
          Context.NONE).getValue().getETag();
      versions.put(path, etag.replace("\"", ""));
    }
    if (noWait) {
      return 0;
    }
    System.out.printf(Locale.ROOT, "waiting for %s/api/results/%s/%s… %n", api, service, prefix);
    AppApi app = new AppApi(api);
    int failed = 0;
    for (Map.Entry<String, String> version : versions.entrySet()) {
      String path = version.getKey();
      long left = Math.max(1, timeoutSeconds - (System.nanoTime() - start) / 1_000_000_000L);
      JsonNode result = app.await("/api/results/" + encode(service) + "/" + encode(path), Duration.ofSeconds(left),
          "the result of " + path + " (is ./realtime-ai up running at " + api + "?)",
          r -> r.path("etag").asText().replace("\"", "").equals(version.getValue()));
      if ("Scored".equals(result.path("status").asText())) {
        JsonNode top = result.path("predictions").path(0).path(0);
        System.out.printf(Locale.ROOT, "  %-32s %-24s %.4f  (%.1f ms in the service)%n", path,
            top.isMissingNode() ? "(outputs)" : top.path("label").asText(), top.path("confidence").asDouble(),
            result.path("timings").path("runtimeMs").asDouble());
      } else {
        failed++;
        System.out.printf(Locale.ROOT, "  %-32s %s: %s%n", path, result.path("status").asText(),
            result.path("error").path("message").asText());
      }
    }
    System.out.printf(Locale.ROOT, "%d result(s) in results/%s/%s in %.1f s; %d could not be scored%n", versions.size(),
        service, prefix, (System.nanoTime() - start) / 1e9, failed);
    return failed == 0 ? 0 : 1;
  }

  /** The images to drop, by their path under the folder: a file by its name, a folder's files by their relative path. */
  private Map<String, Path> images() throws IOException {
    Map<String, Path> images = new LinkedHashMap<>();
    for (Path source : sources) {
      if (Files.isRegularFile(source)) {
        add(images, source.getFileName().toString(), source);
      } else if (Files.isDirectory(source)) {
        try (Stream<Path> walk = Files.walk(source)) {
          for (Path file : walk.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith("."))
              .sorted().toList()) {
            add(images, source.relativize(file).toString().replace('\\', '/'), file);
          }
        }
      } else {
        throw new CommandLine.ParameterException(spec.commandLine(), "no such file or folder: " + source);
      }
    }
    if (images.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "no files to drop under " + sources);
    }
    return images;
  }

  // Two files may not land on one blob: the second would replace the first without a word.
  private void add(Map<String, Path> images, String name, Path file) {
    Path other = images.putIfAbsent(name, file);
    if (other != null) {
      throw new CommandLine.ParameterException(spec.commandLine(), other + " and " + file + " would both be dropped as '"
          + name + "': drop them from different folders, or one at a time with --folder");
    }
  }

  private static String encode(String path) {
    return Arrays.stream(path.split("/")).map(s -> URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20"))
        .collect(Collectors.joining("/"));
  }
}
