package io.realtimeai.runtime;

import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.realtimeai.client.PredictionClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code realtime-ai runtime} as a child process, started the way the local provider starts a
 * replica ({@code java} with {@link RuntimeJvm#options()} {@code -jar}, never {@code -cp}: ONNX Runtime 1.29 crashes the JVM on a long
 * command line), with {@code --port 0} and a port file; ready once its health says SERVING.
 */
public final class RuntimeProcess implements AutoCloseable {
  private final Process process;
  private final Path folder;
  private final int port;
  private final PredictionClient client;

  private RuntimeProcess(Process process, Path folder, int port, PredictionClient client) {
    this.process = process;
    this.folder = folder;
    this.port = port;
    this.client = client;
  }

  /**
   * Starts {@code java <RuntimeJvm.options()> -jar jar runtime --package modelPackage --port 0 --port-file …} plus {@code extraArgs},
   * its output in {@code folder}, and waits until it serves.
   *
   * @throws IllegalStateException with the runtime's stderr when it exits before serving
   */
  public static RuntimeProcess start(Path jar, Path modelPackage, Path folder, List<String> extraArgs) throws Exception {
    Files.createDirectories(folder);
    Path portFile = folder.resolve("port");
    Files.deleteIfExists(portFile);
    List<String> command = new ArrayList<>();
    command.add(javaCommand().toString());
    command.addAll(RuntimeJvm.options());
    command.addAll(List.of("-jar", jar.toString(), "runtime",
        "--package", modelPackage.toString(), "--port", "0", "--port-file", portFile.toString()));
    command.addAll(extraArgs);
    Process process = new ProcessBuilder(command).directory(folder.toFile())
        .redirectOutput(folder.resolve("stdout.txt").toFile())
        .redirectError(folder.resolve("stderr.txt").toFile())
        .start();
    process.getOutputStream().close();
    try {
      int port = awaitPort(portFile, process, folder.resolve("stderr.txt"));
      PredictionClient client = PredictionClient.builder("localhost:" + port).maxAttempts(1)
          .deadline(Duration.ofSeconds(120)).build();
      try {
        awaitServing(client, process);
      } catch (StatusRuntimeException e) {
        client.close();
        // The port is written before the package loads: a runtime refusing its package exits after it.
        throw new IllegalStateException("the runtime " + (process.waitFor(5, TimeUnit.SECONDS) ? "exited: "
            + read(folder.resolve("stderr.txt")).strip() : "failed its health check: " + e.getMessage()), e);
      } catch (Exception | Error e) {
        client.close();
        throw e;
      }
      return new RuntimeProcess(process, folder, port, client);
    } catch (Exception | Error e) {
      process.destroyForcibly();
      throw e;
    }
  }

  /** The port the runtime wrote to {@code portFile}; fails with its stderr when it exits first. */
  public static int awaitPort(Path portFile, Process process, Path stderr) throws IOException, InterruptedException {
    for (int i = 0; i < 1200 && process.isAlive(); i++) {
      if (Files.exists(portFile) && !Files.readString(portFile).isBlank()) {
        return Integer.parseInt(Files.readString(portFile).strip());
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("no port file; the runtime " + (process.isAlive() ? "is still starting"
        : "exited: " + read(stderr).strip()));
  }

  /** Waits until the runtime's health says SERVING. */
  public static void awaitServing(PredictionClient client, Process process) throws InterruptedException {
    var health = HealthGrpc.newBlockingStub(client.channel());
    for (int i = 0; i < 600 && process.isAlive(); i++) {
      if (health.check(HealthCheckRequest.getDefaultInstance()).getStatus() == ServingStatus.SERVING) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the runtime never said SERVING" + (process.isAlive() ? "" : "; it exited"));
  }

  /** The gRPC port it listens on. */
  public int port() {
    return port;
  }

  /** A client on its port (one attempt per call, no key). */
  public PredictionClient client() {
    return client;
  }

  /** Its process id. */
  public long pid() {
    return process.pid();
  }

  /** What it wrote to stderr so far. */
  public String stderr() {
    return read(folder.resolve("stderr.txt"));
  }

  /** Closes the client, then stops the runtime (SIGTERM, then SIGKILL after 30 s). */
  @Override
  public void close() throws InterruptedException {
    client.close();
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }

  private static Path javaCommand() {
    return ProcessHandle.current().info().command().map(Path::of)
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java"));
  }

  private static String read(Path file) {
    try {
      return file == null || !Files.exists(file) ? "" : Files.readString(file);
    } catch (IOException e) {
      return e.toString();
    }
  }
}
