package io.realtimeai.deployment.local;

import io.realtimeai.deployment.ReplicaSpec;
import io.realtimeai.runtime.RuntimeJvm;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Starts a replica's {@code realtime-ai runtime} as {@code java} with the runtime's JVM options
 * ({@link RuntimeJvm}) {@code -jar} (never {@code -cp}: ONNX
 * Runtime 1.29 crashes the JVM on a command line of more than about 4000 characters). Keys and TLS
 * material go by file, never on the command line, which every user of the machine can read.
 */
final class RuntimeLauncher {
  /** Keys the runtime would add from its environment: a replica takes exactly the keys of its key file. */
  static final String KEYS_VARIABLE = "REALTIME_AI_KEYS";

  private final Path java;
  private final Path jar;
  private final List<String> jvmOptions;

  RuntimeLauncher(Path java, Path jar) {
    this(java, jar, RuntimeJvm.options());
  }

  /** {@code jvmOptions}: what comes between {@code java} and {@code -jar} ({@link RuntimeJvm#options()} by default). */
  RuntimeLauncher(Path java, Path jar, List<String> jvmOptions) {
    this.java = java;
    this.jar = jar;
    this.jvmOptions = List.copyOf(jvmOptions);
  }

  /** The command line of {@code spec}'s runtime in {@code folder}: paths, names and the accelerator only. */
  List<String> command(ReplicaFolder folder, ReplicaSpec spec) {
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar.toString(), "runtime",
        "--package", folder.path(ReplicaFolder.PACKAGE).toString(),
        "--catalog", folder.path(ReplicaFolder.CATALOG).toString(),
        "--work-dir", folder.path(ReplicaFolder.WORK).toString(),
        "--port", "0",
        "--port-file", folder.path(ReplicaFolder.PORT).toString(),
        // A free port: the replicas of one machine cannot share one; it is written to the ready file.
        "--metrics-port", "0",
        "--ready-file", folder.path(ReplicaFolder.READY).toString(),
        "--key-file", folder.path(ReplicaFolder.KEYS).toString()));
    if (spec.tls()) {
      command.addAll(List.of("--tls-cert", folder.path(ReplicaFolder.TLS_CERTIFICATE).toString(),
          "--tls-key", folder.path(ReplicaFolder.TLS_KEY).toString()));
    }
    command.addAll(List.of("--accelerator", spec.accelerator().name().toLowerCase(Locale.ROOT),
        "--name", spec.serviceName(),
        "--replica-id", spec.replicaId()));
    return command;
  }

  /**
   * Starts the runtime with its output in the folder's logs. Nothing ties it to this JVM (no pipe
   * is left open, no hook kills it), so it outlives a host that dies and the next host adopts it.
   */
  Process start(ReplicaFolder folder, ReplicaSpec spec) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command(folder, spec))
        .directory(folder.root().toFile())
        .redirectOutput(folder.path(ReplicaFolder.STDOUT).toFile())
        .redirectError(folder.path(ReplicaFolder.STDERR).toFile());
    builder.environment().remove(KEYS_VARIABLE);
    Process process = builder.start();
    process.getOutputStream().close();
    return process;
  }
}
