package io.realtimeai.cli;

import io.realtimeai.app.ProjectPaths;
import io.realtimeai.host.Binding;
import io.realtimeai.host.FunctionDescriptor;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code realtime-ai up}: Azurite and the local Functions host with every function, until Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = {"Run the whole app on this machine: Azurite on 10000-10002 (unless AzureWebJobsStorage points",
        "elsewhere) and the local Functions host with every function on port 7071; scoring services run as",
        "local processes. Ctrl-C stops everything."})
final class UpCommand implements Callable<Integer> {
  @Option(names = "--port", defaultValue = "-1", description = "HTTP port (default: local.settings.json's Host.LocalHttpPort, 7071).")
  int port;

  @Option(names = "--in-memory", description = "Keep storage in memory only: nothing persists after Ctrl-C.")
  boolean inMemory;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Where storage persists (default: .realtime-ai/ in the project).")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    Path data = (dataDir != null ? dataDir : ProjectPaths.root().resolve(".realtime-ai")).toAbsolutePath().resolve("azurite");
    LocalStack stack = LocalStack.start(port, inMemory ? null : data, false);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // stderr: the logging system may already be shut down by its own hook
      System.err.println("stopping: letting invocations in flight finish …");
      stack.close();
      System.err.println("stopped.");
      stopped.countDown();
    }, "up-shutdown"));
    printBanner(stack);
    stopped.await();
    return 0;
  }

  private static void printBanner(LocalStack stack) {
    String base = stack.baseUrl();
    List<FunctionDescriptor> functions = stack.host().functions();
    StringBuilder out = new StringBuilder("\nrealtime-ai is up\n");
    out.append(String.format(Locale.ROOT, "  storage    %s%n", stack.storageDescription()));
    out.append(String.format(Locale.ROOT, "  functions  %s/api/ (%d functions)%n", base, functions.size()));
    for (FunctionDescriptor function : functions) {
      out.append(String.format(Locale.ROOT, "    %-22s %s%n", function.name(), describe(function.trigger())));
    }
    out.append(String.format(Locale.ROOT, "  console    %s%n", consoleUrl(base)));
    out.append(String.format(Locale.ROOT, "  try        curl -s %s/api/health%n", base));
    out.append("Ctrl-C stops everything.\n");
    System.out.print(out);
    System.out.flush();
  }

  /** The web console of the app at {@code base}. */
  static String consoleUrl(String base) {
    return base + "/api/console/";
  }

  private static String describe(Binding trigger) {
    return switch (trigger.type()) {
      case "httpTrigger" -> String.join("|", trigger.strings("methods").isEmpty() ? List.of("ANY") : trigger.strings("methods"))
          + " /api/" + trigger.string("route");
      case "blobTrigger" -> "blob " + trigger.string("path");
      case "queueTrigger" -> "queue " + trigger.string("queueName");
      case "timerTrigger" -> "timer " + trigger.string("schedule");
      default -> trigger.type();
    };
  }
}
