package io.realtimeai.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestCertificates;
import io.realtimeai.testing.RuntimeProcesses;
import io.realtimeai.testing.TensorflowGraphs;
import io.realtimeai.testing.TestImages;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code realtime-ai runtime} as the process the local provider starts: port file, keys, SIGTERM. */
@Tag("integration")
class RuntimeProcessTest {
  @TempDir Path dir;

  private ProcessBuilder realtimeAi(String... args) {
    return realtimeAi(List.of(), args);
  }

  private ProcessBuilder realtimeAi(List<String> jvmOptions, String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", System.getProperty("project.jar", "target/realtime-ai.jar")));
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectOutput(dir.resolve("out.txt").toFile())
        .redirectError(dir.resolve("err.txt").toFile());
  }

  @Test
  void runtime_writesItsPortServesWithEnvironmentKeysAndStopsOnSigterm() throws Exception {
    Path folder = ModelFolders.tinyClassifier(dir.resolve("tiny"));
    Path portFile = dir.resolve("port");
    ProcessBuilder builder = realtimeAi("runtime", "--package", folder.toString(), "--port", "0",
        "--port-file", portFile.toString(), "--intra-op-threads", "1");
    builder.environment().put("REALTIME_AI_KEYS", "from-environment");
    Process process = builder.start();
    try {
      int port = RuntimeProcesses.awaitPort(portFile, process, dir.resolve("err.txt"));
      try (PredictionClient client = PredictionClient.builder("localhost:" + port).key("from-environment").build()) {
        RuntimeProcesses.awaitServing(client, process);
        assertThat(client.classify(List.of(TestImages.jpeg()), 1)).hasSize(1);
      }

      process.destroy();

      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
      assertThat(Files.readString(dir.resolve("out.txt"))).contains("serving 'default' on port " + port + ": CPU,"
          + " 1 intra-op threads (set by --intra-op-threads");
      assertThat(Files.readString(dir.resolve("err.txt"))).contains("stopped");
      assertThat(isListening(port)).as("port closed").isFalse();
    } finally {
      process.destroyForcibly();
    }
  }

  /** Serves {@code folder} with class loading logged, scores one image, stops, and answers the classes loaded. */
  private String classesLoadedServing(Path folder, byte[] image, String... more) throws Exception {
    Path portFile = dir.resolve("port");
    Path classes = dir.resolve("classes.txt");
    List<String> args = new ArrayList<>(List.of("runtime", "--package", folder.toString(), "--port", "0",
        "--port-file", portFile.toString(), "--intra-op-threads", "1"));
    args.addAll(List.of(more));
    Process process = realtimeAi(List.of("-Xlog:class+load=info:file=" + classes), args.toArray(String[]::new)).start();
    try {
      int port = RuntimeProcesses.awaitPort(portFile, process, dir.resolve("err.txt"));
      try (PredictionClient client = PredictionClient.builder("localhost:" + port).build()) {
        RuntimeProcesses.awaitServing(client, process);
        assertThat(client.predictImages(List.of(image)).getOutputsCount()).isPositive();
      }
      process.destroy();
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
      return Files.readString(classes);
    } finally {
      process.destroyForcibly();
    }
  }

  @Test
  void runtime_onAnOnnxOnlyPackage_neverLoadsTensorflow() throws Exception {
    String classes = classesLoadedServing(ModelFolders.tinyClassifier(dir.resolve("tiny")), TestImages.jpeg());

    assertThat(classes).contains("io.realtimeai.pipeline.OnnxModel")
        .doesNotContain("org.tensorflow.", "org.bytedeco.", "io.realtimeai.pipeline.TensorflowModel");
  }

  @Test
  void runtime_onTheWalkthroughPackage_loadsTensorflowAndServes() throws Exception {
    Path folder = TensorflowGraphs.walkthroughFolder(dir.resolve("walkthrough"), 1000);
    TensorflowGraphs.featurizer(dir.resolve("catalog/resnet50/1.1.6-rc/model.onnx"), 3);

    String classes = classesLoadedServing(folder, TestImages.picture("png", 224, 224),
        "--catalog", dir.resolve("catalog").toString());

    assertThat(classes).contains("io.realtimeai.pipeline.TensorflowModel", "org.tensorflow.Session");
  }

  @Test
  void runtime_withTls_answersHealthInPlaintextWithoutAKeyOnItsHealthPort() throws Exception {
    Path folder = ModelFolders.tinyClassifier(dir.resolve("tiny"));
    TestCertificates.Pem pem = TestCertificates.selfSigned(dir.resolve("tls"));
    Path portFile = dir.resolve("port");
    Path healthPortFile = dir.resolve("health-port");
    Process process = realtimeAi("runtime", "--package", folder.toString(), "--port", "0",
        "--port-file", portFile.toString(), "--health-port", "0", "--health-port-file", healthPortFile.toString(),
        "--tls-cert", pem.certificate().toString(), "--tls-key", pem.key().toString(), "--key", "k",
        "--intra-op-threads", "1").start();
    try {
      int port = RuntimeProcesses.awaitPort(portFile, process, dir.resolve("err.txt"));
      int healthPort = RuntimeProcesses.awaitPort(healthPortFile, process, dir.resolve("err.txt"));
      ManagedChannel channel = Grpc.newChannelBuilderForAddress("localhost", healthPort, InsecureChannelCredentials.create())
          .build();
      try {
        var health = HealthGrpc.newBlockingStub(channel);
        awaitStatus(() -> health.withDeadlineAfter(10, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance()).getStatus(), process);
      } finally {
        channel.shutdownNow();
      }
      try (PredictionClient client = PredictionClient.builder("localhost:" + port).trustCertificate(pem.certificate())
          .key("k").build()) {
        assertThat(client.classify(List.of(TestImages.jpeg()), 1)).as("SERVING means it scores").hasSize(1);
      }

      process.destroy();

      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
      assertThat(Files.readString(dir.resolve("out.txt"))).contains("(health on port " + healthPort + ")");
      assertThat(isListening(healthPort)).as("health port closed").isFalse();
    } finally {
      process.destroyForcibly();
    }
  }

  @Test
  void runtime_exitsWithOneAndALineOnStderrForAMissingPackage() throws Exception {
    Process process = realtimeAi("runtime", "--package", dir.resolve("absent.zip").toString(), "--port", "0").start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(1);
    assertThat(Files.readString(dir.resolve("err.txt"))).startsWith("realtime-ai: no such file: ");
  }

  @Test
  void runtime_exitsWithTwoForBadUsage() throws Exception {
    Process process = realtimeAi("runtime", "--port", "0").start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(2);
    assertThat(Files.readString(dir.resolve("err.txt"))).contains("Missing required option: '--package=ZIP|DIR|URL'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"70000", "-1"})
  void runtime_exitsWithTwoNamingTheOptionForAMetricsPortNoSocketCanHave(String metricsPort) throws Exception {
    Process process = realtimeAi("runtime", "--package", dir.resolve("absent.zip").toString(), "--port", "0",
        "--metrics-port=" + metricsPort).start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(2);
    assertThat(Files.readString(dir.resolve("err.txt")))
        .contains("--metrics-port: must be between 0 and 65535, got " + metricsPort);
  }

  private static void awaitStatus(java.util.function.Supplier<ServingStatus> status, Process process) throws Exception {
    for (int i = 0; i < 600 && process.isAlive(); i++) {
      if (status.get() == ServingStatus.SERVING) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("never SERVING on the health port");
  }

  private static boolean isListening(int port) {
    try (Socket ignored = new Socket("localhost", port)) {
      return true;
    } catch (ConnectException e) {
      return false;
    } catch (IOException e) {
      return false;
    }
  }
}
