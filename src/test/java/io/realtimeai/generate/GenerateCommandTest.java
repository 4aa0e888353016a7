package io.realtimeai.generate;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.realtimeai.cli.GenerateCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class GenerateCommandTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int execute(String... args) {
    return new CommandLine(new GenerateCommand())
        .setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true))
        .execute(args);
  }

  @Test
  void generate_rejectsUnknownKindWithUsageErrorListingTheKinds() {
    int exit = execute("resnet51", "-o", "never-written.onnx");

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).contains("unknown kind 'resnet51'").contains("resnet50-classifier").contains("tiny-uint8")
        .contains("tiny-vector, walkthrough");
    assertThat(Path.of("never-written.onnx")).doesNotExist();
  }

  @Test
  void generate_rejectsSpatialForKindsOtherThanResnet50() {
    assertThat(execute("tiny", "-o", "never-written.onnx", "--spatial")).isEqualTo(2);
    assertThat(err.toString()).contains("--spatial");
  }

  @Test
  void generate_rejectsSpatialForTheWalkthrough() {
    assertThat(execute("walkthrough", "-o", "never-written", "--spatial")).isEqualTo(2);
    assertThat(err.toString()).startsWith("--spatial applies to resnet50 only");
    assertThat(Path.of("never-written")).doesNotExist();
  }

  @Test
  void help_listsTheKinds() {
    assertThat(execute("--help")).isZero();
    assertThat(out.toString()).contains(ModelKind.ids()).containsPattern("tiny-vector,\\s+walkthrough\\.");
  }

  @Test
  @Tag("integration")
  void generate_writesAModelThatOnnxRuntimeLoads(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("tiny.onnx");

    assertThat(execute("tiny", "-o", file.toString(), "--seed", "5")).isZero();

    assertThat(out.toString()).startsWith("wrote tiny to " + file + ": 40 parameters");
    assertThat(Files.readAllBytes(file)).isEqualTo(ModelGenerator.generate(ModelKind.TINY, 5).toByteArray());
    try (OrtSession session = OrtEnvironment.getEnvironment().createSession(file.toString())) {
      assertThat(session.getOutputNames()).containsExactly("scores");
    }
  }

  @Test
  @Tag("integration")
  void generate_reportsAnUnwritableFileWithExitCode1(@TempDir Path dir) {
    Path file = dir.resolve("missing-dir").resolve("tiny.onnx");

    assertThat(execute("tiny", "-o", file.toString())).isEqualTo(1);
    assertThat(err.toString()).startsWith("generate: cannot write " + file).doesNotContain("\tat ");
  }

  @Test
  @Tag("integration")
  void generate_reportsAnUnwritableWalkthroughFolderInOneLineWithExitCode1(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("taken"), "a file, not a folder");

    assertThat(execute("walkthrough", "-o", file.toString())).isEqualTo(1);
    assertThat(err.toString()).matches("generate: cannot write " + file + ": [^\\n]+\\R");
    assertThat(out.toString()).isEmpty();
  }
}
