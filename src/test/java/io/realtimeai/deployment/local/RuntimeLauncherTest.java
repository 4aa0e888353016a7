package io.realtimeai.deployment.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.realtimeai.deployment.ReplicaSpec;
import io.realtimeai.pipeline.Accelerator;
import io.realtimeai.runtime.RuntimeJvm;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The runtime's command line: every input by path, nothing secret. */
class RuntimeLauncherTest {
  private static final Path FOLDER = Path.of("/state/svc/r1");
  private final RuntimeLauncher launcher = new RuntimeLauncher(Path.of("/jdk/bin/java"), Path.of("/app/realtime-ai.jar"));

  private static ReplicaSpec spec(String certificate, String key) {
    return new ReplicaSpec("svc", "scorer", "r1", "tiny:1", "tiny/1/model.zip", null, List.of("resnet50/1"),
        Accelerator.CUDA, List.of("primary-secret", "secondary-secret"), certificate, key);
  }

  @Test
  void command_runsTheJarWithEveryInputFromTheReplicaFolder() {
    List<String> command = launcher.command(new ReplicaFolder(FOLDER), spec(null, null));

    List<String> start = new java.util.ArrayList<>(List.of("/jdk/bin/java"));
    start.addAll(RuntimeJvm.options());
    start.addAll(List.of("-jar", "/app/realtime-ai.jar", "runtime"));
    assertThat(command).startsWith(start.toArray(String[]::new));
    assertThat(String.join(" ", command)).contains(
        "--package /state/svc/r1/package.zip", "--catalog /state/svc/r1/catalog", "--port 0",
        "--port-file /state/svc/r1/port", "--metrics-port 0", "--ready-file /state/svc/r1/ready", "--key-file /state/svc/r1/keys",
        "--accelerator cuda", "--name scorer", "--replica-id r1");
    assertThat(command).doesNotContain("--tls-cert", "--key");
  }

  @Test
  void command_putsTheRuntimeJvmOptionsBeforeTheJar() {
    RuntimeLauncher tuned = new RuntimeLauncher(Path.of("/jdk/bin/java"), Path.of("/app/realtime-ai.jar"),
        RuntimeJvm.options("-Xms1g -XX:NativeMemoryTracking=summary"));

    List<String> command = tuned.command(new ReplicaFolder(FOLDER), spec(null, null));

    List<String> start = new java.util.ArrayList<>(List.of("/jdk/bin/java"));
    start.addAll(RuntimeJvm.OPTIONS);
    start.addAll(List.of("-Xms1g", "-XX:NativeMemoryTracking=summary", "-jar", "/app/realtime-ai.jar", "runtime"));
    assertThat(command).startsWith(start.toArray(String[]::new));
  }

  @Test
  void command_passesKeysAndTlsMaterialByFileOnly() {
    List<String> command = launcher.command(new ReplicaFolder(FOLDER),
        spec("-----BEGIN CERTIFICATE-----", "-----BEGIN PRIVATE KEY-----"));

    String line = String.join(" ", command);
    assertThat(line).contains("--tls-cert /state/svc/r1/cert.pem", "--tls-key /state/svc/r1/key.pem");
    assertThat(line).doesNotContain("secret", "BEGIN");
  }
}
