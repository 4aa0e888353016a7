package io.realtimeai.testing;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.realtimeai.client.PredictionClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Waiting on a {@code realtime-ai runtime} child process: its port file, then SERVING. */
public final class RuntimeProcesses {
  private RuntimeProcesses() {}

  /** The port the runtime wrote to {@code portFile}; fails with its stderr when it exits first. */
  public static int awaitPort(Path portFile, Process process, Path stderr) throws Exception {
    for (int i = 0; i < 1200 && process.isAlive(); i++) {
      if (Files.exists(portFile) && !Files.readString(portFile).isBlank()) {
        return Integer.parseInt(Files.readString(portFile).strip());
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no port file; the runtime " + (process.isAlive() ? "is still starting" : "exited: "
        + read(stderr)));
  }

  /** Waits until the runtime's health says SERVING. */
  public static void awaitServing(PredictionClient client, Process process) throws Exception {
    var health = HealthGrpc.newBlockingStub(client.channel());
    for (int i = 0; i < 600 && process.isAlive(); i++) {
      if (health.check(HealthCheckRequest.getDefaultInstance()).getStatus() == ServingStatus.SERVING) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("never SERVING");
  }

  private static String read(Path file) {
    try {
      return file == null || !Files.exists(file) ? "" : Files.readString(file);
    } catch (IOException e) {
      return e.toString();
    }
  }
}
