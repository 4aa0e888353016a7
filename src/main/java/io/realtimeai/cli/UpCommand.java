package io.realtimeai.cli;

import io.realtimeai.app.App;
import io.realtimeai.app.AppSettings;
import io.realtimeai.app.ProjectPaths;
import io.realtimeai.host.Binding;
import io.realtimeai.host.FunctionDescriptor;
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
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code realtime-ai up}: Azurite and the local Functions host with every function, until Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = {"Run the whole app on this machine: Azurite on 10000-10002 (unless AzureWebJobsStorage points",
        "elsewhere) and the local Functions host with every function on port 7071. Ctrl-C stops everything."})
final class UpCommand implements Callable<Integer> {
  private static final int[] AZURITE_PORTS = {10000, 10001, 10002};

  @Option(names = "--port", defaultValue = "-1", description = "HTTP port (default: local.settings.json's Host.LocalHttpPort, 7071).")
  int port;

  @Option(names = "--in-memory", description = "Keep storage in memory only: nothing persists after Ctrl-C.")
  boolean inMemory;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Where storage persists (default: .realtime-ai/ in the project).")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    Path root = ProjectPaths.root();
    Path app = ProjectPaths.functionApp();
    if (!Files.isRegularFile(app.resolve("host.json"))) {
      throw new IllegalStateException("no function app at " + app + ": build it with mvn package (./realtime-ai does)");
    }
    LocalSettings settings = LocalSettings.read(app.resolve("local.settings.json"));
    AppSettings.putLocal(settings.values());
    String connection = AppSettings.get(AppSettings.STORAGE, "UseDevelopmentStorage=true");
    boolean development = connection.replace(" ", "").equalsIgnoreCase("UseDevelopmentStorage=true");
    Path data = (dataDir != null ? dataDir : root.resolve(".realtime-ai")).toAbsolutePath();

    CountDownLatch stopped = new CountDownLatch(1);
    Azurite azurite = null;
    String storageLine;
    if (development && allListening()) {
      Storage.connect(connection).blobs().getProperties();
      storageLine = "the Azurite already listening on 127.0.0.1:10000-10002 (not started, not stopped by up)";
    } else if (development) {
      System.out.println("starting Azurite on 127.0.0.1:10000-10002 …");
      azurite = Azurite.start(root, AZURITE_PORTS, inMemory ? null : data.resolve("azurite"));
      storageLine = "Azurite on 127.0.0.1:10000 (blob), 10001 (queue), 10002 (table); "
          + (inMemory ? "in memory, nothing persists" : "data in " + root.relativize(data.resolve("azurite")));
    } else {
      storageLine = "the storage account in AzureWebJobsStorage";
    }
    System.out.println("starting the local Functions host …");
    LocalHost host;
    try {
      host = LocalHost.start(app, LocalHost.Options.defaults().withHttpPort(port));
    } catch (Exception e) {
      if (azurite != null) {
        azurite.close();
      }
      throw e;
    }
    Azurite started = azurite;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // stderr: the logging system may already be shut down by its own hook
      System.err.println("stopping: letting invocations in flight finish …");
      try {
        host.stop(Duration.ofSeconds(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      // Replica processes stop with the host; their services come back on the next up.
      App.shutdown();
      if (started != null) {
        started.close();
      }
      System.err.println("stopped.");
      stopped.countDown();
    }, "up-shutdown"));
    printBanner(host, storageLine);
    stopped.await();
    return 0;
  }

  private static void printBanner(LocalHost host, String storageLine) {
    String base = "http://localhost:" + host.httpPort();
    StringBuilder out = new StringBuilder("\nrealtime-ai is up\n");
    out.append(String.format(Locale.ROOT, "  storage    %s%n", storageLine));
    out.append(String.format(Locale.ROOT, "  functions  %s/api/ (%d functions)%n", base, host.functions().size()));
    for (FunctionDescriptor function : host.functions()) {
      out.append(String.format(Locale.ROOT, "    %-22s %s%n", function.name(), describe(function.trigger())));
    }
    out.append(String.format(Locale.ROOT, "  try        curl -s %s/api/health%n", base));
    out.append("Ctrl-C stops everything.\n");
    System.out.print(out);
    System.out.flush();
  }

  private static String describe(Binding trigger) {
    return switch (trigger.type()) {
      case "httpTrigger" -> String.join("|", trigger.strings("methods").isEmpty() ? java.util.List.of("ANY") : trigger.strings("methods"))
          + " /api/" + trigger.string("route");
      case "blobTrigger" -> "blob " + trigger.string("path");
      case "queueTrigger" -> "queue " + trigger.string("queueName");
      case "timerTrigger" -> "timer " + trigger.string("schedule");
      default -> trigger.type();
    };
  }

  private static boolean allListening() {
    for (int port : AZURITE_PORTS) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      } catch (IOException e) {
        return false;
      }
    }
    return true;
  }
}
