package io.realtimeai.testing;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * A kubelet for {@link FakeCluster} whose containers are real {@code realtime-ai runtime}
 * processes, started with the pod's own container arguments after the image's entrypoint
 * ({@code realtime-ai runtime}, here {@code java -jar realtime-ai.jar runtime}). What a pod has
 * and a process on this machine has not is supplied as the kubelet would: the Secret's files
 * in a folder of the pod (for the mount {@code /etc/realtime-ai/secret}), rewritten when the
 * Secret changes; the environment from the pod spec ({@code $(POD_NAME)}, the Secret's keys);
 * and, since every pod here shares one host instead of having its own IP, {@code --port 8500}
 * becomes a free port the runtime writes to a file, {@code --health-port 8501} likewise, and
 * {@code --metrics-port 9090} a free port too. Ready
 * is the pod's readiness probe: {@code grpc.health.v1} answers SERVING in plaintext on the health
 * port, TLS runtime or not, as the kubelet's gRPC probe asks it.
 */
public final class RuntimeKubelet implements BiFunction<Pod, Secret, FakeCluster.Container> {
  private static final String SECRET_MOUNT = "/etc/realtime-ai/secret";

  private final Path jar;
  private final Path dir;
  private final List<RuntimeContainer> containers = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile boolean secretsHeld;

  private RuntimeKubelet(Path jar, Path dir) {
    this.jar = jar;
    this.dir = dir;
  }

  /** Pods run as {@code java -jar jar runtime …}, each in its own folder under {@code dir}. */
  public static RuntimeKubelet processes(Path jar, Path dir) {
    return new RuntimeKubelet(jar, dir);
  }

  @Override
  public FakeCluster.Container apply(Pod pod, Secret secret) {
    try {
      RuntimeContainer container = new RuntimeContainer(jar, Files.createDirectories(dir.resolve(pod.getMetadata().getName())),
          pod, secret);
      containers.add(container);
      return container;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Changed Secrets stay away from the pods' files until {@link #releaseSecrets()}: a real
   * kubelet hands a pod a changed Secret only on its next sync, a minute or more later.
   */
  public void holdSecrets() {
    secretsHeld = true;
  }

  /** The kubelet syncs: every pod's files get its Secret as it is now. */
  public void releaseSecrets() {
    secretsHeld = false;
    containers.forEach(RuntimeContainer::sync);
  }

  private final class RuntimeContainer implements FakeCluster.Container {
    private final Path folder;
    private final Path portFile;
    private final Path healthPortFile;
    private final Path stderr;
    private final Process process;
    private final java.util.concurrent.atomic.AtomicReference<Secret> pendingSecret = new java.util.concurrent.atomic.AtomicReference<>();
    private volatile String ready;

    RuntimeContainer(Path jar, Path folder, Pod pod, Secret secret) throws IOException {
      this.folder = folder;
      this.portFile = folder.resolve("port");
      this.healthPortFile = folder.resolve("health-port");
      this.stderr = folder.resolve("stderr.log");
      io.fabric8.kubernetes.api.model.Container spec = pod.getSpec().getContainers().get(0);
      String podName = pod.getMetadata().getName();
      writeSecret(secret);
      List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
          "-jar", jar.toString(), "runtime"));
      List<String> args = spec.getArgs();
      for (int i = 0; i < args.size(); i++) {
        String arg = args.get(i);
        if (arg.equals("--port")) {
          command.addAll(List.of("--port", "0", "--port-file", portFile.toString()));
          i++;
        } else if (arg.equals("--health-port")) {
          command.addAll(List.of("--health-port", "0", "--health-port-file", healthPortFile.toString()));
          i++;
        } else if (arg.equals("--metrics-port")) {
          command.addAll(List.of("--metrics-port", "0"));
          i++;
        } else {
          command.add(arg.replace("$(POD_NAME)", podName).replace(SECRET_MOUNT, folder.resolve("secret").toString()));
        }
      }
      ProcessBuilder builder = new ProcessBuilder(command).directory(folder.toFile())
          .redirectOutput(folder.resolve("stdout.log").toFile()).redirectError(stderr.toFile());
      Map<String, String> env = builder.environment();
      env.remove("REALTIME_AI_KEYS");
      env.remove("REALTIME_AI_STORAGE");
      for (EnvVar variable : spec.getEnv() == null ? List.<EnvVar>of() : spec.getEnv()) {
        String value = value(variable, podName, secret);
        if (value != null) {
          env.put(variable.getName(), value);
        }
      }
      this.process = builder.start();
      process.getOutputStream().close();
    }

    private static String value(EnvVar variable, String podName, Secret secret) {
      if (variable.getValue() != null) {
        return variable.getValue();
      }
      var from = variable.getValueFrom();
      if (from != null && from.getFieldRef() != null && "metadata.name".equals(from.getFieldRef().getFieldPath())) {
        return podName;
      }
      if (from != null && from.getSecretKeyRef() != null && secret.getData() != null) {
        String encoded = secret.getData().get(from.getSecretKeyRef().getKey());
        return encoded == null ? null : new String(Base64.getDecoder().decode(encoded), java.nio.charset.StandardCharsets.UTF_8);
      }
      return null;
    }

    /** The Secret's keys as files of the mount, each replaced whole (as the kubelet swaps its symlink). */
    private void writeSecret(Secret secret) throws IOException {
      Path mount = Files.createDirectories(folder.resolve("secret"));
      for (Map.Entry<String, String> entry : secret.getData().entrySet()) {
        Path staged = mount.resolve("." + entry.getKey() + ".new");
        Files.write(staged, Base64.getDecoder().decode(entry.getValue()));
        Files.move(staged, mount.resolve(entry.getKey()), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      }
    }

    @Override
    public void refreshSecret(Secret secret) {
      pendingSecret.set(secret);
      if (!secretsHeld) {
        sync();
      }
    }

    void sync() {
      Secret secret = pendingSecret.getAndSet(null);
      if (secret != null) {
        try {
          writeSecret(secret);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }

    @Override
    public String readyAddress() {
      // The runtime writes its port file before its health port file: both exist once it listens.
      if (ready == null && process.isAlive() && Files.exists(portFile) && Files.exists(healthPortFile)) {
        try {
          String port = Files.readString(portFile).strip();
          String healthPort = Files.readString(healthPortFile).strip();
          if (!port.isEmpty() && !healthPort.isEmpty() && serving(Integer.parseInt(healthPort))) {
            ready = "127.0.0.1:" + port;
          }
        } catch (IOException | NumberFormatException e) {
          return null;
        }
      }
      return process.isAlive() ? ready : null;
    }

    private static boolean serving(int port) {
      ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
      try {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance()).getStatus() == ServingStatus.SERVING;
      } catch (RuntimeException e) {
        return false;
      } finally {
        channel.shutdownNow();
      }
    }

    @Override
    public String exited() {
      if (process.isAlive()) {
        return null;
      }
      List<String> lines;
      try {
        lines = Files.readAllLines(stderr);
      } catch (IOException e) {
        lines = List.of();
      }
      return process.exitValue() + ": " + String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    }

    @Override
    public void stop() {
      process.destroy();
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
