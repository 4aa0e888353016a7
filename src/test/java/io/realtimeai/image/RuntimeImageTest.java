package io.realtimeai.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.realtimeai.client.Prediction;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.deployment.kubernetes.PackageLocations;
import io.realtimeai.packaging.ModelPackager;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.RuntimeProcesses;
import io.realtimeai.testing.TensorflowGraphs;
import io.realtimeai.testing.TestImages;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The runtime run from the built image's own layers, as a pod runs it: the layers unpacked in order,
 * the image's entrypoint, environment, working directory and user, its JRE, a read-only root with a
 * writable /tmp (the pod's emptyDir) and the keys where the pod's Secret is mounted, the package read
 * from Azurite by its blob URL with the connection the pod's environment gets, inside a mount and PID namespace (and a user namespace where the
 * test does not run as root) under chroot, then an image scored through it over gRPC.
 */
@Tag("integration")
class RuntimeImageTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  private static final String KEY = "image-test-key";

  // not @TempDir: JUnit warns about every absolute link of the root file system when it deletes one
  private static Path dir;
  private static ImageArchive image;
  private static Path root;

  @BeforeAll
  static void unpack() throws IOException {
    image = ImageArchive.open(ImageArchiveTest.imageTar());
    dir = Files.createTempDirectory("runtime-image-test");
    root = dir.resolve("rootfs");
    long started = System.nanoTime();
    image.unpack(root);
    for (String device : List.of("null", "zero", "random", "urandom")) {
      Path mountPoint = root.resolve("dev").resolve(device);   // for the host's device, bound in by sandbox()
      if (!Files.exists(mountPoint)) {
        Files.createFile(mountPoint);
      }
    }
    System.out.printf("unpacked %d layers in %d ms%n", image.layers().size(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  @AfterAll
  static void close() throws IOException {
    if (image != null) {
      image.close();
    }
    if (dir != null) {
      ImageArchive.deleteRecursively(dir);
    }
  }

  @Test
  void entrypoint_servesAndScoresFromTheImagesLayersAsTheImagesUser() throws Exception {
    // the pod's emptyDir, mounted at /tmp; everything else is read-only
    Path emptyDir = Files.createDirectories(dir.resolve("emptydir"));
    Files.setPosixFilePermissions(emptyDir, PosixFilePermissions.fromString("rwxrwxrwx"));
    // the package as the registry keeps it, in the models container; the keys as the pod's Secret mount holds them
    Path zip = dir.resolve("model.zip");
    String sha256 = ModelPackager.pack(ModelFolders.tinyClassifier(dir.resolve("tiny")), zip, AcceleratedCatalog.none()).sha256();
    azurite.storage().container(StorageLayout.MODELS).createIfNotExists();
    azurite.storage().container(StorageLayout.MODELS).getBlobClient("tiny/1/model.zip").uploadFromFile(zip.toString(), true);
    String packageUrl = PackageLocations.of(azurite.storage()).packageUrl("tiny/1/model.zip");
    Path secret = Files.createDirectories(root.resolve("etc/realtime-ai/secret"));
    Files.writeString(secret.resolve("keys"), KEY + "\n");
    JsonNode run = image.runConfig();
    List<String> command = new ArrayList<>(sandbox(run.path("User").asText()));
    command.addAll(List.of("/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", run.path("WorkingDir").asText("/")));
    run.path("Entrypoint").forEach(part -> command.add(part.asText()));
    // the arguments the Kubernetes provider gives a pod, less the fixed port (other tests listen on this host too)
    command.addAll(List.of("--package", packageUrl, "--package-sha256", sha256, "--port", "0", "--port-file", "/tmp/port",
        "--name", "tiny", "--key-file", "/etc/realtime-ai/secret/keys", "--accelerator", "cpu", "--replica-id", "image-test"));

    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
    builder.environment().clear();
    builder.environment().putAll(image.environment());
    // as the pod's env has it from the Secret: the connection the package is read with
    builder.environment().put("REALTIME_AI_STORAGE", azurite.connectionString());
    Process process = builder.start();
    try {
      int port = RuntimeProcesses.awaitPort(emptyDir.resolve("port"), process, dir.resolve("err.txt"));
      try (PredictionClient client = PredictionClient.builder("localhost:" + port).key(KEY).build()) {
        RuntimeProcesses.awaitServing(client, process);

        List<List<Prediction>> answers = client.classify(List.of(TestImages.jpeg()), 10);

        assertThat(answers).hasSize(1);
        List<Prediction> top = answers.get(0);
        assertThat(top).extracting(Prediction::label).containsExactlyInAnyOrderElementsOf(
            IntStream.range(0, 10).mapToObj(i -> "class-" + i).collect(Collectors.toList()));
        assertThat(top).extracting(Prediction::confidence).isSortedAccordingTo((a, b) -> Float.compare(b, a));
        assertThat((double) top.stream().map(Prediction::confidence).reduce(0f, Float::sum))
            .as("softmax").isCloseTo(1.0, within(1e-4));
        assertThat(client.lastReplica()).isEqualTo("image-test");
      }

      ProcessHandle jvm = jvm(process).orElseThrow(() -> new AssertionError("no java process under " + command));
      String executable = jvm.info().command().orElse("");
      assertThat(executable).as("the JRE the image has").startsWith(root + image.environment().get("JAVA_HOME") + "/");
      assertThat(fileNames(emptyDir)).as("ONNX Runtime's native library unpacked into /tmp")
          .anyMatch(name -> name.startsWith("onnxruntime-java"));
      if (runsAsRoot()) {
        assertThat(Files.getAttribute(Path.of("/proc", Long.toString(jvm.pid())), "unix:uid"))
            .as("the image's user").isEqualTo(65532);
      }

      // the kubelet stops a pod with SIGTERM to its first process, the JVM here
      jvm.destroy();

      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
      assertThat(Files.readString(dir.resolve("out.txt"))).contains("downloading " + packageUrl)
          .contains("serving 'tiny' on port " + port);
      assertThat(Files.readString(dir.resolve("err.txt"))).contains("stopped");
    } finally {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      System.out.println("runtime stderr:\n" + Files.readString(dir.resolve("err.txt")));
    }
  }

  @Test
  void entrypoint_servesTheWalkthroughsTensorflowGraphsWithTensorflowUnpackedIntoTmp() throws Exception {
    Path emptyDir = Files.createDirectories(dir.resolve("emptydir"));
    Files.setPosixFilePermissions(emptyDir, PosixFilePermissions.fromString("rwxrwxrwx"));
    // the package and the catalog where the image's user may read them: in the emptyDir, /tmp inside
    Path folder = TensorflowGraphs.walkthroughFolder(dir.resolve("walkthrough"), 1000);
    ModelPackager.pack(folder, emptyDir.resolve("walkthrough.zip"), AcceleratedCatalog.none());
    TensorflowGraphs.featurizer(emptyDir.resolve("catalog/resnet50/1.1.6-rc/model.onnx"), 3);
    try (Stream<Path> paths = Files.walk(emptyDir)) {
      for (Path path : paths.toList()) {
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(Files.isDirectory(path) ? "rwxrwxrwx" : "rw-rw-rw-"));
      }
    }
    JsonNode run = image.runConfig();
    List<String> command = new ArrayList<>(sandbox(run.path("User").asText()));
    command.addAll(List.of("/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", run.path("WorkingDir").asText("/")));
    run.path("Entrypoint").forEach(part -> command.add(part.asText()));
    command.addAll(List.of("--package", "/tmp/walkthrough.zip", "--catalog", "/tmp/catalog", "--port", "0",
        "--port-file", "/tmp/tf-port", "--accelerator", "cpu"));
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectOutput(dir.resolve("tf-out.txt").toFile()).redirectError(dir.resolve("tf-err.txt").toFile());
    builder.environment().clear();
    builder.environment().putAll(image.environment());
    Process process = builder.start();
    try {
      int port = RuntimeProcesses.awaitPort(emptyDir.resolve("tf-port"), process, dir.resolve("tf-err.txt"));
      try (PredictionClient client = PredictionClient.builder("localhost:" + port).build()) {
        RuntimeProcesses.awaitServing(client, process);
        float[] scores = PredictionClient.floats(client.predictImages(List.of(TestImages.picture("png", 224, 224)))
            .getOutputsOrThrow("output_alias"));
        assertThat(scores).hasSize(1000);
        assertThat((double) IntStream.range(0, scores.length).mapToDouble(i -> scores[i]).sum())
            .as("the classifier graph's softmax").isCloseTo(1.0, within(1e-3));
      }
      assertThat(Files.exists(emptyDir.resolve(".javacpp/cache"))).as("TensorFlow's natives unpacked under /tmp").isTrue();
    } finally {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      System.out.println("runtime stderr:\n" + Files.readString(dir.resolve("tf-err.txt")));
    }
  }

  /**
   * unshare and chroot from the host, with the devices, /proc and the emptyDir mounted and the root
   * made read-only. As root the process then takes the image's user; otherwise a user namespace maps
   * the caller to root, and the image's user cannot be taken (only one uid can be mapped unprivileged).
   */
  private static List<String> sandbox(String user) throws IOException {
    String mounts = String.join("; ", List.of(
        "set -eu",
        "root=\"$1\"; tmp=\"$2\"; shift 2",
        "mount --bind \"$root\" \"$root\"",
        "for d in null zero random urandom; do mount --bind /dev/$d \"$root/dev/$d\"; done",
        "mount -t proc proc \"$root/proc\"",
        "mount --bind \"$tmp\" \"$root/tmp\"",
        "mount -o remount,bind,ro \"$root\"",
        "exec \"$@\""));
    List<String> command = new ArrayList<>(List.of(host("unshare")));
    if (!runsAsRoot()) {
      command.add("--map-root-user");
    }
    command.addAll(List.of("--mount", "--pid", "--fork", host("sh"), "-c", mounts, "sandbox",
        root.toString(), dir.resolve("emptydir").toString(), host("chroot")));
    if (runsAsRoot()) {
      command.add("--userspec=" + user);
    }
    command.add(root.toString());
    return command;
  }

  private static String host(String program) {
    for (String folder : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
      Path candidate = Path.of(folder, program);
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    throw new AssertionError(program + " is not on this machine's PATH: the image test needs util-linux and coreutils");
  }

  private static boolean runsAsRoot() throws IOException {
    return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
  }

  private static Optional<ProcessHandle> jvm(Process process) {
    return process.descendants().filter(handle -> handle.info().command().orElse("").endsWith("/bin/java")).findFirst();
  }

  private static List<String> fileNames(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(path -> path.getFileName().toString()).collect(Collectors.toList());
    }
  }


}
