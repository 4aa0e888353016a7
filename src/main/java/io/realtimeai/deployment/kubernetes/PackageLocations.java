package io.realtimeai.deployment.kubernetes;

import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import java.util.Locale;
import java.util.Optional;

/**
 * Where pods find packages: blob URLs in the app's storage account, and the app's connection string
 * when it carries an account key; pods get it only when they have no managed identity of their own
 * ({@code KUBERNETES_RUNTIME_CLIENT_ID}; see {@link ServiceObjects#podStorageConnection()}).
 */
public interface PackageLocations {
  /** The URL of a package blob ({@code name/version/model.zip}) in the {@code models} container. */
  String packageUrl(String blob);

  /** The URL of the accelerated model catalog's container. */
  String catalogUrl();

  /** A connection string the pods may read packages with, when the app has one with a key. */
  Optional<String> storageConnection();

  /** The locations of {@code storage}. */
  static PackageLocations of(Storage storage) {
    return new PackageLocations() {
      @Override
      public String packageUrl(String blob) {
        // Path segments kept readable (the SDK's own URL encodes every slash as %2F).
        String path = java.util.Arrays.stream(blob.split("/"))
            .map(segment -> java.net.URLEncoder.encode(segment, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20"))
            .collect(java.util.stream.Collectors.joining("/"));
        return storage.container(StorageLayout.MODELS).getBlobContainerUrl() + "/" + path;
      }

      @Override
      public String catalogUrl() {
        return storage.container(StorageLayout.ACCELERATED_MODELS).getBlobContainerUrl();
      }

      @Override
      public Optional<String> storageConnection() {
        String connection = storage.connectionString();
        return connection.toLowerCase(Locale.ROOT).contains("accountkey=") ? Optional.of(connection) : Optional.empty();
      }
    };
  }
}
