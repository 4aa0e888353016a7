package io.realtimeai.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code local.settings.json}: the app settings ({@code Values}) and the HTTP port
 * ({@code Host.LocalHttpPort}) of a local run, as Core Tools reads them.
 *
 * @param values the app settings
 * @param httpPort the HTTP port (7071)
 */
public record LocalSettings(Map<String, String> values, int httpPort) {
  public LocalSettings {
    values = Map.copyOf(values);
  }

  /** Reads the file; an absent file is no values and port 7071. */
  public static LocalSettings read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return new LocalSettings(Map.of(), 7071);
    }
    JsonNode root = new ObjectMapper().readTree(Files.readAllBytes(file));
    Map<String, String> values = new LinkedHashMap<>();
    root.path("Values").fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue().asText("")));
    return new LocalSettings(values, root.path("Host").path("LocalHttpPort").asInt(7071));
  }
}
