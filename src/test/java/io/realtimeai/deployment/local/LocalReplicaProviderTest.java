package io.realtimeai.deployment.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.realtimeai.catalog.AcceleratedModels;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.deployment.ReplicaSpec;
import io.realtimeai.deployment.ReplicaStatus;
import io.realtimeai.deployment.ReplicaStatus.State;
import io.realtimeai.packaging.ModelPackager;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.pipeline.Accelerator;
import io.realtimeai.proto.serving.GetModelMetadataRequest;
import io.realtimeai.proto.serving.ModelSpec;
import io.realtimeai.proto.serving.PredictionServiceGrpc;
import io.realtimeai.runtime.ScoringRuntime;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestCertificates;
import io.realtimeai.testing.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicas as real {@code realtime-ai runtime} processes from the packaged jar, their packages
 * downloaded from a real Azurite. Two replicas (plaintext and TLS) are started once for the
 * assertions that only look at a running replica; the tests that kill, adopt or close start their own.
 */
@Tag("integration")
class LocalReplicaProviderTest {
  private static final Duration READY_WITHIN = Duration.ofSeconds(60);
  private static final String KEY = "primary-key-0123456789";
  private static final String SECONDARY = "secondary-key-0123456789";

  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  @TempDir static Path dir;

  static Storage storage;
  static AcceleratedModels catalog;
  static Path jar;
  static Path stateDir;
  static LocalReplicaProvider provider;
  static String tinySha256;
  static TestCertificates.Pem pem;

  @BeforeAll
  static void startReplicas() throws Exception {
    storage = azurite.storage().ensureLayout();
    catalog = new AcceleratedModels(storage, dir.resolve("catalog-cache"));
    jar = Path.of(System.getProperty("project.jar", "target/realtime-ai.jar"));
    Path zip = dir.resolve("tiny.zip");
    tinySha256 = ModelPackager.pack(ModelFolders.tinyClassifier(dir.resolve("tiny")), zip, AcceleratedCatalog.none())
        .sha256();
    storage.container(StorageLayout.MODELS).getBlobClient("tiny/1/model.zip").uploadFromFile(zip.toString(), true);
    pem = TestCertificates.selfSigned(dir.resolve("tls"));
    stateDir = dir.resolve("replicas");
    provider = new LocalReplicaProvider(storage, catalog, stateDir, jar);
    // Started together: the JVMs warm up side by side.
    provider.start(spec("svc", "plain", Accelerator.CPU));
    provider.start(tlsSpec("svc", "tls"));
    awaitReady(provider, "svc", "plain");
    awaitReady(provider, "svc", "tls");
  }

  @AfterAll
  static void closeProvider() {
    if (provider != null) {
      provider.close();
    }
    assertThat(runtimesUnder(dir)).as("no runtime outlives the tests").isEmpty();
  }

  static ReplicaSpec spec(String serviceId, String replicaId, Accelerator accelerator) {
    return spec(serviceId, replicaId, "tiny/1/model.zip", tinySha256, accelerator);
  }

  static ReplicaSpec spec(String serviceId, String replicaId, String blob, String sha256, Accelerator accelerator) {
    return new ReplicaSpec(serviceId, "tiny", replicaId, "tiny:1", blob, sha256, List.of(), accelerator,
        List.of(KEY, SECONDARY), null, null);
  }

  static ReplicaSpec tlsSpec(String serviceId, String replicaId) throws Exception {
    return new ReplicaSpec(serviceId, "tiny", replicaId, "tiny:1", "tiny/1/model.zip", tinySha256, List.of(),
        Accelerator.AUTO, List.of(KEY), Files.readString(pem.certificate()), Files.readString(pem.key()));
  }

  @Test
  void ready_servesPredictWithItsKeyAndRefusesAWrongOne() {
    ReplicaStatus ready = provider.status("svc", "plain");
    assertThat(ready.host()).isEqualTo("127.0.0.1");
    assertThat(ready.accelerator()).isEqualTo("CPU");

    try (PredictionClient client = client(ready, KEY)) {
      assertThat(client.classify(List.of(TestImages.jpeg()), 3).get(0)).hasSize(3);
    }
    try (PredictionClient client = client(ready, SECONDARY)) {
      assertThat(client.classify(List.of(TestImages.jpeg()), 1)).hasSize(1);
    }
    try (PredictionClient client = client(ready, "not-a-key")) {
      assertUnauthenticated(client);
    }
  }

  @Test
  void ready_answersEveryCallWithItsReplicaId() {
    assertThat(replicaHeader(provider.status("svc", "plain"), KEY)).isEqualTo("plain");
  }

  @Test
  void start_ofARunningReplicaKeepsItsProcess() throws Exception {
    long pid = pid("svc", "plain");

    provider.start(spec("svc", "plain", Accelerator.CPU));

    assertThat(provider.status("svc", "plain").state()).isEqualTo(State.READY);
    assertThat(pid("svc", "plain")).isEqualTo(pid);
    assertThat(ProcessHandle.of(pid)).hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());
  }

  @Test
  void updateKeys_takesNewKeysWithoutARestart() throws Exception {
    long pid = pid("svc", "plain");
    ReplicaStatus ready = provider.status("svc", "plain");
    try {
      provider.updateKeys("svc", "plain", List.of("rotated-key-0123456789"));

      try (PredictionClient rotated = client(ready, "rotated-key-0123456789");
          PredictionClient old = client(ready, KEY)) {
        // The runtime looks at its key file at most every 200 ms.
        awaitAccepted(rotated);
        assertUnauthenticated(old);
      }
      assertThat(pid("svc", "plain")).as("no restart").isEqualTo(pid);
      assertThat(provider.status("svc", "plain").port()).isEqualTo(ready.port());
    } finally {
      provider.updateKeys("svc", "plain", List.of(KEY, SECONDARY));
    }
    try (PredictionClient restored = client(ready, KEY)) {
      awaitAccepted(restored);
    }
  }

  @Test
  void tls_servesWithTheGivenCertificate() throws Exception {
    ReplicaStatus ready = provider.status("svc", "tls");
    try (PredictionClient client = PredictionClient.builder("127.0.0.1:" + ready.port()).key(KEY)
        .trustCertificate(pem.certificate()).maxAttempts(1).build()) {
      assertThat(client.classify(List.of(TestImages.jpeg()), 1)).hasSize(1);
    }
    try (PredictionClient plaintext = client(ready, KEY)) {
      assertThatThrownBy(() -> plaintext.classify(List.of(TestImages.jpeg()), 1))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }
  }

  @Test
  void replicaFolder_holdsSecretsOwnerOnlyAndNoCommandLineShowsThem() throws Exception {
    Path folder = provider.folder("svc", "tls");
    for (String secret : List.of(ReplicaFolder.KEYS, ReplicaFolder.TLS_CERTIFICATE, ReplicaFolder.TLS_KEY)) {
      assertThat(Files.getPosixFilePermissions(folder.resolve(secret)))
          .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }
    String privateKey = Files.readString(pem.key()).lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
    String state = provider.stateDir().toString();
    List<String> commandLines = ProcessHandle.allProcesses().map(p -> p.info().commandLine().orElse(""))
        .filter(line -> line.contains(state)).toList();

    assertThat(commandLines).as("both runtimes are visible").hasSizeGreaterThanOrEqualTo(2);
    assertThat(commandLines).allSatisfy(line -> assertThat(line)
        .contains("--key-file", "--replica-id")
        .doesNotContain(KEY, SECONDARY, privateKey, "BEGIN"));
    assertThat(Files.readString(folder.resolve(ReplicaFolder.STDOUT)) + Files.readString(folder.resolve(ReplicaFolder.STDERR)))
        .doesNotContain(KEY, privateKey);
  }

  @Test
  void replicasOfOneModel_shareOneDownloadedPackage() throws Exception {
    Path cached = provider.stateDir().resolve(".packages").resolve(tinySha256 + ".zip");

    assertThat(Files.isSameFile(provider.folder("svc", "plain").resolve(ReplicaFolder.PACKAGE), cached)).isTrue();
    assertThat(Files.isSameFile(provider.folder("svc", "tls").resolve(ReplicaFolder.PACKAGE), cached)).isTrue();
    try (var downloads = Files.list(cached.getParent())) {
      assertThat(downloads).as("no partial download left").allMatch(file -> file.getFileName().toString().endsWith(".zip"));
    }
  }

  @Test
  void replicas_listsTheFoldersOfAService() {
    assertThat(provider.replicas("svc")).contains("plain", "tls");
    assertThat(provider.replicas("no-such-service")).isEmpty();
  }

  @Test
  void start_onACpuOnlyMachineWithCudaFailsWithTheRuntimesReason() throws Exception {
    provider.start(spec("cuda", "r1", Accelerator.CUDA));

    ReplicaStatus failed = awaitSettled(provider, "cuda", "r1");

    assertThat(failed.state()).isEqualTo(State.FAILED);
    assertThat(failed.reason()).startsWith("realtime-ai: ")
        .contains("CUDA was asked for but this ONNX Runtime build offers only [CPU]")
        .endsWith("(exit code 1)");
    provider.stop("cuda", "r1");
  }

  @Test
  void start_ofAGarbagePackageFailsWithTheRuntimesReason() throws Exception {
    byte[] garbage = new byte[4096];
    new Random(7).nextBytes(garbage);
    storage.container(StorageLayout.MODELS).getBlobClient("garbage/1/model.zip")
        .upload(com.azure.core.util.BinaryData.fromBytes(garbage), true);
    String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(garbage));

    provider.start(spec("garbage", "r1", "garbage/1/model.zip", sha256, Accelerator.CPU));
    ReplicaStatus failed = awaitSettled(provider, "garbage", "r1");

    assertThat(failed.state()).isEqualTo(State.FAILED);
    assertThat(failed.reason()).startsWith("realtime-ai: ").contains("(exit code 1)");
    provider.stop("garbage", "r1");
  }

  @Test
  void start_ofAMissingOrChangedPackageFailsBeforeAnyProcess() throws Exception {
    // A content not in the package cache: the provider has to look in storage.
    provider.start(spec("missing", "r1", "absent/1/model.zip", "1".repeat(64), Accelerator.CPU));
    provider.start(spec("changed", "r1", "tiny/1/model.zip", "0".repeat(64), Accelerator.CPU));

    ReplicaStatus missing = awaitSettled(provider, "missing", "r1");
    ReplicaStatus changed = awaitSettled(provider, "changed", "r1");

    assertThat(missing.reason()).isEqualTo("cannot start the replica: package models/absent/1/model.zip does not exist");
    assertThat(changed.reason()).contains("has SHA-256 " + tinySha256 + ", not the " + "0".repeat(64));
    assertThat(provider.folder("missing", "r1").resolve(ReplicaFolder.PID)).doesNotExist();
    provider.stop("missing", "r1");
    provider.stop("changed", "r1");
    assertThat(provider.status("missing", "r1")).isEqualTo(ReplicaStatus.gone());
  }

  @Test
  void killedReplica_isFailedUntilStartedAgainUnderTheSameId() throws Exception {
    provider.start(spec("killed", "r1", Accelerator.CPU));
    awaitReady(provider, "killed", "r1");
    ProcessHandle first = ProcessHandle.of(pid("killed", "r1")).orElseThrow();

    first.destroyForcibly();
    first.onExit().get(10, TimeUnit.SECONDS);

    ReplicaStatus failed = provider.status("killed", "r1");
    assertThat(failed.state()).isEqualTo(State.FAILED);
    assertThat(failed.reason()).endsWith("(exit code 137: killed by signal 9)");
    assertThat(provider.status("killed", "r1")).as("stays failed").isEqualTo(failed);

    provider.start(spec("killed", "r1", Accelerator.CPU));
    ReplicaStatus again = awaitReady(provider, "killed", "r1");

    assertThat(pid("killed", "r1")).isNotEqualTo(first.pid());
    assertThat(replicaHeader(again, KEY)).isEqualTo("r1");
    assertThat(provider.folder("killed", "r1").resolve(ReplicaFolder.STDERR + ".previous")).exists();
    provider.stop("killed", "r1");
    assertThat(provider.folder("killed", "r1")).doesNotExist();
  }

  @Test
  void start_withAnotherSpecReplacesTheRunningProcess() throws Exception {
    provider.start(spec("replaced", "r1", Accelerator.CPU));
    awaitReady(provider, "replaced", "r1");
    ProcessHandle first = ProcessHandle.of(pid("replaced", "r1")).orElseThrow();

    provider.start(spec("replaced", "r1", Accelerator.AUTO));
    awaitReady(provider, "replaced", "r1");

    assertThat(first.isAlive()).isFalse();
    assertThat(pid("replaced", "r1")).isNotEqualTo(first.pid());
    provider.stop("replaced", "r1");
  }

  @Test
  void restartedHost_adoptsARunningReplicaAndCanStopIt() throws Exception {
    Path state = dir.resolve("host-restart");
    LocalReplicaProvider before = new LocalReplicaProvider(storage, catalog, state, jar);
    before.start(spec("svc", "r1", Accelerator.CPU));
    ReplicaStatus ready = awaitReady(before, "svc", "r1");
    long pid = Long.parseLong(Files.readString(before.folder("svc", "r1").resolve(ReplicaFolder.PID)).strip());
    // The first host dies without close(): its replica runs on as an orphan.

    try (LocalReplicaProvider after = new LocalReplicaProvider(storage, catalog, state, jar)) {
      assertThat(after.status("svc", "r1")).isEqualTo(ready);
      after.start(spec("svc", "r1", Accelerator.CPU));
      assertThat(after.status("svc", "r1")).isEqualTo(ready);
      assertThat(Files.readString(after.folder("svc", "r1").resolve(ReplicaFolder.PID)).strip())
          .isEqualTo(Long.toString(pid));

      after.stop("svc", "r1");

      assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
      assertThat(after.status("svc", "r1")).isEqualTo(ReplicaStatus.gone());
      assertThat(after.replicas("svc")).isEmpty();
      assertThat(after.stateDir().resolve(".packages").resolve(tinySha256 + ".zip"))
          .as("a package no replica uses is removed").doesNotExist();
    }
    before.close();
  }

  @Test
  void runtimeWhosePidWasNeverWritten_isStoppedWithItsReplica() throws Exception {
    provider.start(spec("unwritten", "r1", Accelerator.CPU));
    awaitReady(provider, "unwritten", "r1");
    // As if a host had launched a runtime for this replica and died before writing its pid: a process
    // that names the replica's package on its command line and that no pid file knows.
    Path packageFile = provider.folder("unwritten", "r1").resolve(ReplicaFolder.PACKAGE);
    Process orphan = new ProcessBuilder("bash", "-c", "sleep 120; true", packageFile.toString()).start();
    try {
      assertThat(pid("unwritten", "r1")).isNotEqualTo(orphan.pid());

      provider.stop("unwritten", "r1");

      assertThat(orphan.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).as("the unknown runtime was stopped too").isTrue();
    } finally {
      orphan.destroyForcibly();
    }
  }

  @Test
  void close_stopsEveryProcessAndKeepsFoldersForTheNextHost() throws Exception {
    Path state = dir.resolve("host-close");
    LocalReplicaProvider host = new LocalReplicaProvider(storage, catalog, state, jar);
    host.start(spec("svc", "r1", Accelerator.CPU));
    awaitReady(host, "svc", "r1");
    host.start(spec("svc", "r2", Accelerator.CPU));

    host.close();

    assertThat(runtimesUnder(state)).isEmpty();
    assertThat(host.replicas("svc")).containsExactly("r1", "r2");
    try (LocalReplicaProvider next = new LocalReplicaProvider(storage, catalog, state, jar)) {
      assertThat(next.status("svc", "r1")).isEqualTo(ReplicaStatus.gone());
      next.start(spec("svc", "r1", Accelerator.CPU));
      awaitReady(next, "svc", "r1");
    }
    assertThat(runtimesUnder(state)).isEmpty();
  }

  private static PredictionClient client(ReplicaStatus ready, String key) {
    return PredictionClient.builder(ready.host() + ":" + ready.port()).key(key).maxAttempts(1).build();
  }

  private static void assertUnauthenticated(PredictionClient client) {
    assertThatThrownBy(() -> client.classify(List.of(TestImages.jpeg()), 1))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
  }

  private static void awaitAccepted(PredictionClient client) throws InterruptedException {
    for (int attempt = 0; ; attempt++) {
      try {
        client.classify(List.of(TestImages.jpeg()), 1);
        return;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAUTHENTICATED || attempt > 50) {
          throw e;
        }
        Thread.sleep(50);
      }
    }
  }

  /** The {@code realtime-ai-replica} header of a GetModelMetadata call. */
  private static String replicaHeader(ReplicaStatus ready, String key) {
    try (PredictionClient client = client(ready, key)) {
      AtomicReference<Metadata> headers = new AtomicReference<>();
      Metadata authorization = new Metadata();
      authorization.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
      PredictionServiceGrpc.newBlockingStub(client.channel())
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(authorization),
              MetadataUtils.newCaptureMetadataInterceptor(headers, new AtomicReference<>()))
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .getModelMetadata(GetModelMetadataRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName("tiny"))
              .addMetadataField("accelerator").build());
      return headers.get().get(Metadata.Key.of(ScoringRuntime.REPLICA_HEADER, Metadata.ASCII_STRING_MARSHALLER));
    }
  }

  private long pid(String serviceId, String replicaId) throws Exception {
    return Long.parseLong(Files.readString(provider.folder(serviceId, replicaId).resolve(ReplicaFolder.PID)).strip());
  }

  static ReplicaStatus awaitReady(LocalReplicaProvider provider, String serviceId, String replicaId) throws Exception {
    ReplicaStatus status = awaitSettled(provider, serviceId, replicaId);
    assertThat(status.state()).as("%s/%s: %s", serviceId, replicaId, status).isEqualTo(State.READY);
    return status;
  }

  /** Polls until the replica is no longer STARTING. */
  static ReplicaStatus awaitSettled(LocalReplicaProvider provider, String serviceId, String replicaId) throws Exception {
    long deadline = System.nanoTime() + READY_WITHIN.toNanos();
    ReplicaStatus status = provider.status(serviceId, replicaId);
    while (status.state() == State.STARTING && System.nanoTime() < deadline) {
      Thread.sleep(100);
      status = provider.status(serviceId, replicaId);
    }
    return status;
  }

  /** The live processes whose command line names a folder under {@code root}. */
  static List<ProcessHandle> runtimesUnder(Path root) {
    String path;
    try {
      path = root.toRealPath().toString();
    } catch (java.io.IOException e) {
      path = root.toAbsolutePath().toString();
    }
    String prefix = path;
    return ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
        .filter(p -> p.info().commandLine().map(line -> line.contains(prefix)).orElse(false)).toList();
  }
}
