package io.realtimeai.storage;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Azurite, the Azure Storage emulator from the npm registry, as a child process: on its standard
 * ports for {@code up}, on free ports for tests; persisted in a folder, or in memory.
 */
public final class Azurite implements AutoCloseable {
  private static final Pattern LISTENING =
      Pattern.compile("Azurite (Blob|Queue|Table) service is successfully listening at http://[^:]+:(\\d+)");

  private static final Path NICE = Path.of("/usr/bin/nice");

  private final Process process;
  private final int blobPort;
  private final int queuePort;
  private final int tablePort;
  private final List<String> output;

  private Azurite(Process process, int blobPort, int queuePort, int tablePort, List<String> output) {
    this.process = process;
    this.blobPort = blobPort;
    this.queuePort = queuePort;
    this.tablePort = tablePort;
    this.output = output;
  }

  /**
   * Starts Azurite from {@code projectRoot/node_modules} (installing it first when needed) and
   * waits until its three services listen.
   *
   * @param ports blob, queue and table ports; {@code 0, 0, 0} picks free ones
   * @param location where data persists, or null for memory only
   */
  public static Azurite start(Path projectRoot, int[] ports, Path location) throws IOException {
    return start(projectRoot, ports, location, false);
  }

  /**
   * {@link #start(Path, int[], Path)}, and with {@code yieldToApp} at a lower CPU priority ({@code nice -n 10}, where
   * the system has {@code nice}): on a machine the app shares with it, the emulator then waits while the inference engine
   * has work, as Azure Storage, on machines of its own, never takes the app's cores.
   */
  public static Azurite start(Path projectRoot, int[] ports, Path location, boolean yieldToApp) throws IOException {
    Path executable = projectRoot.resolve("node_modules/.bin/azurite");
    install(projectRoot);
    List<String> command = new ArrayList<>();
    if (yieldToApp && Files.isExecutable(NICE)) {
      command.addAll(List.of(NICE.toString(), "-n", "10"));
    } else if (yieldToApp) {
      System.out.println("(no " + NICE + " here: Azurite runs at the app's CPU priority)");
    }
    command.addAll(List.of(executable.toString(),
        "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
        "--blobPort", Integer.toString(ports[0]), "--queuePort", Integer.toString(ports[1]),
        "--tablePort", Integer.toString(ports[2]),
        // Tolerate the SDK's newer API versions and its headers; never phone home.
        "--skipApiVersionCheck", "--loose", "--disableTelemetry"));
    if (location == null) {
      command.add("--inMemoryPersistence");
    } else {
      Files.createDirectories(location);
      command.addAll(List.of("--location", location.toString()));
    }
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> output = java.util.Collections.synchronizedList(new ArrayList<>());
    int[] bound = new int[3];
    CompletableFuture<Void> ready = new CompletableFuture<>();
    Thread reader = new Thread(() -> read(process, output, bound, ready), "azurite-output");
    reader.setDaemon(true);
    reader.start();
    try {
      ready.get(60, TimeUnit.SECONDS);
    } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
      process.destroyForcibly();
      throw new IOException("Azurite did not start: " + String.join(" | ", lastLines(output, 5)), e);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while Azurite started", e);
    }
    return new Azurite(process, bound[0], bound[1], bound[2], output);
  }

  /** Runs {@code scripts/install-azurite} (npm ci) when node_modules is missing or stale. */
  public static void install(Path projectRoot) throws IOException {
    Path script = projectRoot.resolve("scripts/install-azurite");
    if (!Files.isRegularFile(script)) {
      throw new IOException("cannot install Azurite: " + script + " is missing (run from the project folder)");
    }
    Process install = new ProcessBuilder("bash", script.toString()).inheritIO().start();
    try {
      if (install.waitFor() != 0) {
        throw new IOException("installing Azurite failed (npm ci); see the lines above");
      }
    } catch (InterruptedException e) {
      install.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while installing Azurite", e);
    }
  }

  private static void read(Process process, List<String> output, int[] bound, CompletableFuture<Void> ready) {
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      int seen = 0;
      for (String line; (line = lines.readLine()) != null; ) {
        output.add(line);
        Matcher matcher = LISTENING.matcher(line);
        if (matcher.find()) {
          int index = switch (matcher.group(1)) {
            case "Blob" -> 0;
            case "Queue" -> 1;
            default -> 2;
          };
          bound[index] = Integer.parseInt(matcher.group(2));
          if (++seen == 3) {
            ready.complete(null);
          }
        }
      }
    } catch (IOException e) {
      ready.completeExceptionally(e);
    }
    ready.completeExceptionally(new IOException("Azurite exited with " + exitCode(process)));
  }

  private static String exitCode(Process process) {
    try {
      return Integer.toString(process.waitFor());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "an unknown code";
    }
  }

  private static List<String> lastLines(List<String> output, int count) {
    synchronized (output) {
      return new ArrayList<>(output.subList(Math.max(0, output.size() - count), output.size()));
    }
  }

  /** The connection string of this Azurite. */
  public String connectionString() {
    return Storage.azuriteConnectionString(blobPort, queuePort, tablePort);
  }

  /** Blob, queue and table ports. */
  public int[] ports() {
    return new int[] {blobPort, queuePort, tablePort};
  }

  /** True while the process runs. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** Stops Azurite and waits for it (and its children) to exit. */
  @Override
  public void close() {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    children.forEach(ProcessHandle::destroyForcibly);
  }

  /** How long a stop may take: for callers that budget their own shutdown. */
  public static Duration stopTimeout() {
    return Duration.ofSeconds(15);
  }
}
