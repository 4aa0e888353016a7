package io.realtimeai.app;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The app's settings, as Azure Functions gives them: environment variables. The local host adds
 * the {@code Values} of {@code local.settings.json} (a variable already in the environment wins,
 * as with Core Tools), and tests set their own.
 */
public final class AppSettings {
  private static final Map<String, String> LOCAL = new ConcurrentHashMap<>();

  /** Connection to Azure Storage: a connection string, or {@code UseDevelopmentStorage=true}. */
  public static final String STORAGE = "AzureWebJobsStorage";

  private AppSettings() {}

  /** The setting, from the environment first, then the local values. */
  public static Optional<String> get(String name) {
    String value = System.getenv(name);
    if (value == null || value.isBlank()) {
      value = LOCAL.get(name);
    }
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value);
  }

  /** The setting, or {@code fallback} when it is not set. */
  public static String get(String name, String fallback) {
    return get(name).orElse(fallback);
  }

  /** An integer setting, or {@code fallback}; a value that is not a number is an error naming the setting. */
  public static int getInt(String name, int fallback) {
    Optional<String> value = get(name);
    if (value.isEmpty()) {
      return fallback;
    }
    try {
      return Integer.parseInt(value.get().strip());
    } catch (NumberFormatException e) {
      throw new IllegalStateException("setting " + name + " must be a whole number, got '" + value.get() + "'");
    }
  }

  /** Adds local values (local.settings.json, or a test's); the environment still wins. */
  public static void putLocal(Map<String, String> values) {
    values.forEach((k, v) -> {
      if (k != null && v != null) {
        LOCAL.put(k, v);
      }
    });
  }

  /** Forgets every local value. */
  public static void clearLocal() {
    LOCAL.clear();
  }
}
