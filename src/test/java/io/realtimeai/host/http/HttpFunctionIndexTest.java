package io.realtimeai.host.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.realtimeai.host.FunctionDescriptor;
import io.realtimeai.host.FunctionIndex;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test app's function.json files agree with their annotations, and a file that does not is refused. */
@Tag("integration")
class HttpFunctionIndexTest {
  @TempDir Path temp;

  @Test
  void load_acceptsTheFilesThePluginWrote() throws Exception {
    List<FunctionDescriptor> functions = FunctionIndex.load(HttpTestApp.dir(), getClass().getClassLoader());
    assertThat(functions).extracting(FunctionDescriptor::name).contains("GetItem", "Inspect", "Version", "Slow");
    assertThat(functions).allSatisfy(f -> assertThat(f.trigger().type()).isEqualTo("httpTrigger"));
  }

  @Test
  void load_refusesARouteThatDisagreesWithTheAnnotation() throws Exception {
    Path app = copy(HttpTestApp.dir(), temp.resolve("app"));
    Path file = app.resolve("GetItem/function.json");
    String json = Files.readString(file);
    assertThat(json).contains("\"route\" : \"items/{id}\"");
    Files.writeString(file, json.replace("\"route\" : \"items/{id}\"", "\"route\" : \"items/{key}\""));

    assertThatThrownBy(() -> FunctionIndex.load(app, getClass().getClassLoader()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("GetItem:")
        .hasMessageContaining("route=items/{key}")
        .hasMessageContaining("route=items/{id}");
  }

  private static Path copy(Path from, Path to) throws Exception {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path source : files.toList()) {
        Files.copy(source, to.resolve(from.relativize(source).toString()));
      }
    }
    return to;
  }
}
