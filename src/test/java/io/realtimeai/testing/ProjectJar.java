package io.realtimeai.testing;

import java.io.IOException;
import java.nio.file.Path;

/** The project's jar started as a user starts it, in a process of its own. */
public final class ProjectJar {
  private ProjectJar() {}

  /**
   * Starts {@code java -jar realtime-ai.jar ARGS}, its stdout and stderr into {@code out}, its replicas' state under
   * {@code replicas} (not the project's {@code .realtime-ai/replicas}, whose runtimes a class running beside may own).
   */
  public static Process start(Path out, Path replicas, String... args) throws IOException {
    String[] command = new String[args.length + 3];
    command[0] = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    command[1] = "-jar";
    command[2] = System.getProperty("project.jar", "target/realtime-ai.jar");
    System.arraycopy(args, 0, command, 3, args.length);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
    builder.environment().put("REPLICA_STATE_DIR", replicas.toString());
    return builder.start();
  }
}
