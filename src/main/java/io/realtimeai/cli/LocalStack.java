package io.realtimeai.cli;

import io.realtimeai.app.App;
import io.realtimeai.app.AppSettings;
import io.realtimeai.app.ProjectPaths;
import io.realtimeai.host.LocalHost;
import io.realtimeai.host.LocalSettings;
import io.realtimeai.storage.Azurite;
import io.realtimeai.storage.Storage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The whole app on this machine, in this process: Azurite (unless the storage setting points
 * elsewhere, or an Azurite already listens) and the local Functions host with every function.
 * What {@code up} runs until Ctrl-C, and what {@code demo} and {@code bench} start for themselves.
 */
final class LocalStack implements AutoCloseable {
  private static final int[] STANDARD_PORTS = {10000, 10001, 10002};

  private final Azurite azurite;
  private final LocalHost host;
  private final String storageDescription;
  private final String connectionString;
  /** Stops the stack when the JVM is told to stop (SIGTERM, Ctrl-C) before it is closed, so that no child outlives it. */
  private final Thread onExit = new Thread(this::close, "local-stack-shutdown");
  private boolean closed;

  private LocalStack(Azurite azurite, LocalHost host, String storageDescription, String connectionString) {
    this.azurite = azurite;
    this.host = host;
    this.storageDescription = storageDescription;
    this.connectionString = connectionString;
    Runtime.getRuntime().addShutdownHook(onExit);
  }

  /**
   * Starts the stack.
   *
   * @param httpPort the HTTP port (0 a free one, negative local.settings.json's)
   * @param data where Azurite persists, or null for memory only
   * @param freePorts Azurite on free ports rather than its standard ones (a stack of its own, beside any other)
   */
  static LocalStack start(int httpPort, Path data, boolean freePorts) throws Exception {
    Path root = ProjectPaths.root();
    Path app = ProjectPaths.functionApp();
    if (!Files.isRegularFile(app.resolve("host.json"))) {
      throw new IllegalStateException("no function app at " + app + ": build it with mvn package (./realtime-ai does)");
    }
    AppSettings.putLocal(LocalSettings.read(app.resolve("local.settings.json")).values());
    String connection = AppSettings.get(AppSettings.STORAGE, "UseDevelopmentStorage=true");
    boolean development = connection.replace(" ", "").equalsIgnoreCase("UseDevelopmentStorage=true");
    Azurite azurite = null;
    String description;
    if (development && !freePorts && allListening()) {
      Storage.connect(connection).blobs().getProperties();
      description = "the Azurite already listening on 127.0.0.1:10000-10002 (not started, not stopped here)";
    } else if (development) {
      System.out.println("starting Azurite" + (freePorts ? " on free ports" : " on 127.0.0.1:10000-10002") + " …");
      // Below the app in CPU priority: on Azure, Storage does not share the app's cores (README, Soak).
      azurite = Azurite.start(root, freePorts ? new int[] {0, 0, 0} : STANDARD_PORTS, data, true);
      connection = azurite.connectionString();
      int[] ports = azurite.ports();
      description = "Azurite on 127.0.0.1:" + ports[0] + " (blob), " + ports[1] + " (queue), " + ports[2] + " (table); "
          + (data == null ? "in memory, nothing persists" : "data in " + relative(root, data));
    } else {
      description = "the storage account in AzureWebJobsStorage";
    }
    if (azurite != null && freePorts && System.getenv(AppSettings.STORAGE) != null) {
      // Environment variables win over local values: this process could not be pointed at its own Azurite.
      azurite.close();
      throw new IllegalStateException("AzureWebJobsStorage is set in the environment; unset it to run a stack of its own");
    }
    System.out.println("starting the local Functions host …");
    // Until the stack exists and stops itself, a stop (SIGTERM, Ctrl-C) while the host starts still stops Azurite.
    Thread stopAzurite = null;
    if (azurite != null) {
      stopAzurite = new Thread(azurite::close, "azurite-shutdown");
      Runtime.getRuntime().addShutdownHook(stopAzurite);
    }
    try {
      LocalHost host = LocalHost.start(app, LocalHost.Options.defaults().withHttpPort(httpPort)
          .withLocalValues(freePorts && azurite != null ? java.util.Map.of(AppSettings.STORAGE, connection) : java.util.Map.of()));
      return new LocalStack(azurite, host, description, connection);
    } catch (Exception e) {
      if (azurite != null) {
        azurite.close();
      }
      throw e;
    } finally {
      if (stopAzurite != null) {
        try {
          Runtime.getRuntime().removeShutdownHook(stopAzurite);
        } catch (IllegalStateException e) {
          // the JVM is stopping: the hook stops Azurite
        }
      }
    }
  }

  /** The local host. */
  LocalHost host() {
    return host;
  }

  /** {@code http://localhost:<port>}. */
  String baseUrl() {
    return "http://localhost:" + host.httpPort();
  }

  /** The storage connection string the app runs on. */
  String connectionString() {
    return connectionString;
  }

  /** One line saying where storage is. */
  String storageDescription() {
    return storageDescription;
  }

  /** Stops the host (letting invocations finish), the replicas, then Azurite; once, the first caller waited for by the others. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (Thread.currentThread() != onExit) {
      try {
        Runtime.getRuntime().removeShutdownHook(onExit);
      } catch (IllegalStateException e) {
        // the JVM is stopping: the hook runs, finds the stack closed and returns
      }
    }
    try {
      host.stop(Duration.ofSeconds(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        // Replica processes stop with the host; their services come back on the next start.
        App.reset();
      } finally {
        if (azurite != null) {
          azurite.close();
        }
      }
    }
  }

  private static boolean allListening() {
    for (int port : STANDARD_PORTS) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      } catch (IOException e) {
        return false;
      }
    }
    return true;
  }

  private static String relative(Path root, Path path) {
    return path.startsWith(root) ? root.relativize(path).toString() : path.toString();
  }
}
