package io.realtimeai.testing;

import io.realtimeai.client.PredictionClient;
import io.realtimeai.runtime.RuntimeProcess;
import java.nio.file.Path;

/** Waiting on a {@code realtime-ai runtime} child process: its port file, then SERVING (see {@link RuntimeProcess}). */
public final class RuntimeProcesses {
  private RuntimeProcesses() {}

  /** The port the runtime wrote to {@code portFile}; fails with its stderr when it exits first. */
  public static int awaitPort(Path portFile, Process process, Path stderr) throws Exception {
    return RuntimeProcess.awaitPort(portFile, process, stderr);
  }

  /** Waits until the runtime's health says SERVING. */
  public static void awaitServing(PredictionClient client, Process process) throws Exception {
    RuntimeProcess.awaitServing(client, process);
  }
}
