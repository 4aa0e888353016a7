package io.realtimeai.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shell launchers start runtimes with the same JVM options as the Java launchers. */
class RuntimeJvmTest {
  @Test
  void repositoryLauncher_passesTheRuntimeOptionsToTheRuntimeOnly() throws IOException {
    String script = Files.readString(Path.of("realtime-ai"));

    assertThat(javaLine(script, "runtime_options=(")).isEqualTo(String.join(" ", RuntimeJvm.OPTIONS));
    assertThat(script).contains("if [ \"${1:-}\" = \"runtime\" ]");
  }

  @Test
  void imageLauncher_startsWithTheRuntimeOptions() throws IOException {
    String script = Files.readString(Path.of("src/main/jib/usr/local/bin/realtime-ai"));

    List<String> words = Arrays.asList(javaLine(script, "exec java ").split(" "));
    assertThat(words).startsWith(RuntimeJvm.OPTIONS.toArray(String[]::new));
  }

  @Test
  void userOptions_comeAfterTheChosenOnes() {
    assertThat(RuntimeJvm.options((String) null)).isEqualTo(RuntimeJvm.OPTIONS);
    assertThat(RuntimeJvm.options("  ")).isEqualTo(RuntimeJvm.OPTIONS);
    assertThat(RuntimeJvm.options(" -XX:TieredStopAtLevel=4  -Xms1g "))
        .containsExactly("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xms256m", "-XX:+AlwaysPreTouch",
            "-XX:TieredStopAtLevel=4", "-Xms1g");
  }

  @Test
  void runtimes_takeTheirOwnVariableNotTheLaunchingJvms() {
    assertThat(RuntimeJvm.USER_OPTIONS).isEqualTo("REALTIME_AI_RUNTIME_JAVA_OPTS");
  }

  /** What follows {@code prefix} on its last line, up to a closing parenthesis or a line continuation. */
  private static String javaLine(String script, String prefix) {
    String line = script.lines().map(String::strip).filter(l -> l.startsWith(prefix)).reduce((a, b) -> b).orElseThrow();
    return line.substring(prefix.length()).replaceAll("[)\\\\]\\s*$", "").strip();
  }
}
