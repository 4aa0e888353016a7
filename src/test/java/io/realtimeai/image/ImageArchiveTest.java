package io.realtimeai.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The runtime's image tar as {@code mvn verify} writes it: its config, its layers and what is in them. */
@Tag("integration")
class ImageArchiveTest {
  private static final String LAUNCHER = "usr/local/bin/realtime-ai";

  /**
   * Compilers, build tools and package managers: none may be in the image as a command. The JRE's
   * own launchers (java, keytool, Debian's jpackage) stay, and dpkg stays for its database, which
   * scanners read to know what is installed.
   */
  private static final Pattern BUILD_TOOLS = Pattern.compile(
      "(usr/)?(local/)?s?bin/(javac|jar|jshell|jlink|mvn|mvnw|gradle|ant|gcc|g\\+\\+|cc|c\\+\\+|ld|make|cmake"
          + "|apt|apt-get|apt-cache|pip|pip3|npm|node|git)"
          + "|usr/lib/jvm/[^/]+/bin/(javac|jar|jlink|jshell)|usr/lib/jvm/[^/]+/lib/tools\\.jar");

  private static ImageArchive image;

  @BeforeAll
  static void open() throws IOException {
    image = ImageArchive.open(imageTar());
  }

  @AfterAll
  static void close() throws IOException {
    if (image != null) {
      image.close();
    }
  }

  /** The image tar, or a skipped test where the build was told -Djib.skip=true. */
  static Path imageTar() {
    Assumptions.assumeFalse(Boolean.getBoolean("jib.skip"), "built with -Djib.skip=true: no image tar");
    Path tar = Path.of(System.getProperty("image.tar", "target/realtime-ai-runtime.tar"));
    assertThat(tar).as("the image tar mvn verify writes before the integration tests").isRegularFile();
    return tar;
  }

  @Test
  void entrypoint_isRealtimeAiRuntimeWithNoDefaultArguments() {
    assertThat(image.runConfig().path("Entrypoint")).extracting(JsonNode::asText)
        .containsExactly("/usr/local/bin/realtime-ai", "runtime");
    assertThat(image.runConfig().path("Cmd").isMissingNode() || image.runConfig().path("Cmd").isNull()
        || image.runConfig().path("Cmd").isEmpty()).as("no Cmd").isTrue();
    assertThat(image.runConfig().path("WorkingDir").asText()).isEqualTo("/app");
  }

  @Test
  void user_isNumericAndNotRoot() {
    // runAsNonRoot can only verify a numeric user
    assertThat(image.runConfig().path("User").asText()).isEqualTo("65532:65532");
  }

  @Test
  void exposedPorts_areGrpcOn8500ItsHealthOn8501AndMetricsOn9090() {
    assertThat(image.runConfig().path("ExposedPorts").fieldNames()).toIterable()
        .containsExactly("8500/tcp", "8501/tcp", "9090/tcp");
  }

  @Test
  void labels_carryTheProjectVersion() {
    JsonNode labels = image.runConfig().path("Labels");
    assertThat(labels.path("org.opencontainers.image.version").asText())
        .isEqualTo(System.getProperty("project.version")).isNotBlank();
    assertThat(labels.path("org.opencontainers.image.title").asText()).isEqualTo("realtime-ai-runtime");
    assertThat(labels.path("org.opencontainers.image.description").asText()).contains("8500");
  }

  @Test
  void layers_areTheBaseThenDependenciesResourcesClassesAndTheLauncher() throws IOException {
    List<String> comments = new ArrayList<>();
    for (JsonNode step : image.config().path("history")) {
      comments.add(step.path("comment").asText(step.path("created_by").asText()));
    }
    assertThat(comments.get(0)).contains("build-base-image");
    assertThat(comments.subList(1, comments.size()))
        .containsSubsequence("dependencies", "resources", "classes", "extra files");
    List<ImageArchive.Layer> layers = image.layers();
    JsonNode diffIds = image.config().path("rootfs").path("diff_ids");
    assertThat(diffIds).hasSize(layers.size());
    long total = 0;
    for (int i = 0; i < layers.size(); i++) {
      ImageArchive.Layer layer = layers.get(i);
      // what a registry and a container runtime check before they take a layer
      assertThat(image.diffId(layer)).as("diff_id of layer %d", i).isEqualTo(diffIds.get(i).asText());
      long unpacked = image.unpackedSize(layer);
      total += layer.size();
      System.out.printf("layer %d %-14s %,12d bytes compressed %,12d unpacked%n", i, comments.get(i), layer.size(),
          unpacked);
    }
    System.out.printf("image: %,d bytes of layers, tar %,d bytes%n", total, Files.size(imageTar()));
  }

  @Test
  void filesystem_holdsTheJreAndTheAppButNoBuildTools() throws IOException {
    Map<String, ImageArchive.Entry> entries = image.entries();

    assertThat(entries.keySet().stream().filter(path -> BUILD_TOOLS.matcher(path).matches()))
        .as("build tools in the image").isEmpty();
    assertThat(entries.keySet().stream().filter(path -> path.startsWith("root/.m2") || path.matches(".*[^/]\\.java")
        || path.startsWith("app/classes/io/realtimeai/testing/")))
        .as("a Maven repository, sources or test classes").isEmpty();

    assertThat(entries.get(LAUNCHER)).isNotNull().matches(ImageArchive.Entry::executable, "executable");
    String javaHome = image.environment().get("JAVA_HOME");
    assertThat(javaHome).isNotBlank();
    assertThat(entries.get(javaHome.substring(1) + "/bin/java")).isNotNull()
        .matches(ImageArchive.Entry::executable, "executable");
    // the trust store HTTPS to Blob Storage needs; on Debian a link into ca-certificates-java's store
    ImageArchive.Entry cacerts = entries.get(javaHome.substring(1) + "/lib/security/cacerts");
    assertThat(cacerts).isNotNull();
    if (cacerts.linkTarget() != null && cacerts.linkTarget().startsWith("/")) {
      assertThat(entries.containsKey(cacerts.linkTarget().substring(1))).as(cacerts.linkTarget()).isTrue();
    }
    // the launcher's shell (bookworm and Ubuntu merge /bin into /usr/bin) and what the JVM reads
    for (String path : List.of("app/jib-classpath-file", "app/classes/io/realtimeai/cli/Main.class", "usr/bin/sh",
        "usr/bin/cat", "etc/ssl/certs/ca-certificates.crt")) {
      assertThat(entries.containsKey(path)).as(path).isTrue();
    }
    assertThat(entries.keySet()).anyMatch(path -> path.matches("app/libs/onnxruntime-[0-9.]+\\.jar"));
  }
}
