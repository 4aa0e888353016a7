package io.realtimeai.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ForwardingServerCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.proto.serving.PredictResponse;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestCertificates;
import io.realtimeai.testing.TestImages;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.management.ObjectName;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting, readiness, keys that change, TLS, retries and graceful shutdown. */
@Tag("integration")
class RuntimeLifecycleTest {
  @TempDir static Path dir;
  static Path folder;

  @BeforeAll
  static void model() throws Exception {
    folder = ModelFolders.tinyClassifier(dir.resolve("tiny"));
  }

  @Test
  void health_isNotServingUntilThePipelineIsWarm() throws Exception {
    ScoringRuntime runtime = new ScoringRuntime(RuntimeSettings.loopback()).listen();
    ManagedChannel channel = RuntimeHarness.channel(runtime.port());
    try {
      var health = HealthGrpc.newBlockingStub(channel);
      assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.NOT_SERVING);
      ScoringRuntimeTest.assertRefused(() -> RuntimeHarness.stub(channel, null).predict(RuntimeHarness.image(TestImages.jpeg())),
          Status.Code.UNAVAILABLE, "the model is still loading");

      runtime.serve(RuntimeHarness.loader(folder).call());

      assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
    } finally {
      channel.shutdownNow();
      runtime.stop();
    }
  }

  @Test
  void healthPort_answersInPlaintextWithoutAKey_notServingWhileLoadingThenServing_andClosesWithTheRuntime()
      throws Exception {
    TestCertificates.Pem pem = TestCertificates.selfSigned(dir.resolve("health-port-tls"));
    Path healthPortFile = dir.resolve("health-run/health-port");
    RuntimeSettings settings = new RuntimeSettings("tiny", 0, null, KeyRing.of(List.of("the-key")), pem.certificate(),
        pem.key(), RuntimeSettings.DEFAULT_MAX_INBOUND_MESSAGE_BYTES, Duration.ofSeconds(5))
        .withHealthPort(0, healthPortFile);
    ScoringRuntime runtime = new ScoringRuntime(settings).listen();
    int healthPort = runtime.healthPort();
    ManagedChannel channel = RuntimeHarness.channel(healthPort);
    try {
      assertThat(healthPort).isPositive().isNotEqualTo(runtime.port());
      assertThat(Files.readString(healthPortFile)).isEqualTo(Integer.toString(healthPort));
      var health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
      assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus())
          .as("while the model loads").isEqualTo(ServingStatus.NOT_SERVING);

      runtime.serve(RuntimeHarness.loader(folder).call());

      assertThat(HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
      ScoringRuntimeTest.assertRefused(() -> RuntimeHarness.stub(channel, "Bearer the-key")
          .predict(RuntimeHarness.image(TestImages.jpeg())), Status.Code.UNIMPLEMENTED, "");

      runtime.stop();

      assertThatThrownBy(() -> HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).as("the health port is closed").isEqualTo(Status.Code.UNAVAILABLE));
    } finally {
      channel.shutdownNow();
      runtime.stop();
    }
  }

  /** Records each call that passed the key check: its method, its status, and whether start() had returned. */
  private static final class CallRecorder implements ServerInterceptor {
    final List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
    volatile boolean started;

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      String method = call.getMethodDescriptor().getBareMethodName();
      boolean before = !started;
      return next.startCall(new io.grpc.ForwardingServerCall.SimpleForwardingServerCall<>(call) {
        @Override
        public void close(Status status, Metadata trailers) {
          calls.add(method + " " + status.getCode() + (before ? " before SERVING" : " after"));
          super.close(status, trailers);
        }
      }, headers);
    }
  }

  @Test
  void start_callsItsOwnPortOnceBeforeServing_withItsKeyAndOverItsTls() throws Exception {
    TestCertificates.Pem pem = TestCertificates.selfSigned(dir.resolve("first-call-tls"));
    for (RuntimeSettings settings : List.of(
        new RuntimeSettings("tiny", 0, null, KeyRing.of(List.of("the-key")), null, null,
            RuntimeSettings.DEFAULT_MAX_INBOUND_MESSAGE_BYTES, null),
        new RuntimeSettings("tiny", 0, null, KeyRing.of(List.of("the-key")), pem.certificate(), pem.key(),
            RuntimeSettings.DEFAULT_MAX_INBOUND_MESSAGE_BYTES, null))) {
      CallRecorder recorder = new CallRecorder();

      ScoringRuntime runtime = new ScoringRuntime(settings, List.of(recorder)).start(RuntimeHarness.loader(folder));
      recorder.started = true;

      try {
        assertThat(recorder.calls).as(settings.tls() ? "over TLS" : "plaintext")
            .containsExactly("GetModelMetadata OK before SERVING");
      } finally {
        runtime.stop();
      }
    }
  }

  @Test
  void stop_finishesInFlightCallsAndRefusesNewOnes() throws Exception {
    CountDownLatch inFlight = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean held = new java.util.concurrent.atomic.AtomicBoolean();
    ServerInterceptor hold = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!call.getMethodDescriptor().getBareMethodName().equals("Predict") || !held.compareAndSet(false, true)) {
          return next.startCall(call, headers);
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
          @Override
          public void onHalfClose() {
            inFlight.countDown();
            awaitQuietly(release);
            super.onHalfClose();
          }
        };
      }
    };
    ScoringRuntime runtime = new ScoringRuntime(RuntimeSettings.loopback(), List.of(hold)).start(RuntimeHarness.loader(folder));
    PredictionClient client = PredictionClient.builder("localhost:" + runtime.port()).maxAttempts(1).build();
    try {
      CompletableFuture<PredictResponse> call = CompletableFuture.supplyAsync(() -> client.predictImages(List.of(TestImages.jpeg())));
      assertThat(inFlight.await(30, TimeUnit.SECONDS)).isTrue();

      CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> {
        try {
          runtime.stop();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      PredictionClient late = PredictionClient.builder("localhost:" + runtime.port()).maxAttempts(1).build();
      assertThatThrownBy(() -> {
        while (true) {
          // answered until the server begins to shut down, refused from then on
          late.metadata("accelerator");
          Thread.sleep(10);
        }
      }).isInstanceOfSatisfying(StatusRuntimeException.class,
          e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      late.close();
      assertThat(stopping).isNotDone();

      release.countDown();

      assertThat(call.get(30, TimeUnit.SECONDS).getOutputsMap()).containsKey("output_alias");
      stopping.get(30, TimeUnit.SECONDS);
    } finally {
      release.countDown();
      client.close();
      runtime.stop();
    }
  }

  @Test
  void client_retriesUnavailableWithBackoff() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    ServerInterceptor firstFails = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (call.getMethodDescriptor().getBareMethodName().equals("Predict") && attempts.incrementAndGet() == 1) {
          call.close(Status.UNAVAILABLE.withDescription("restarting"), new Metadata());
          return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
      }
    };
    ScoringRuntime runtime = new ScoringRuntime(RuntimeSettings.loopback(), List.of(firstFails)).start(RuntimeHarness.loader(folder));
    try (PredictionClient client = PredictionClient.builder("localhost:" + runtime.port())
        .backoff(Duration.ofMillis(10), Duration.ofMillis(50)).build()) {
      assertThat(client.classify(List.of(TestImages.jpeg()), 1)).hasSize(1);
      assertThat(attempts).hasValue(2);

      ScoringRuntimeTest.assertRefused(() -> client.predictImages(List.of(new byte[0])), Status.Code.INVALID_ARGUMENT, "empty");
      assertThat(attempts).as("INVALID_ARGUMENT is not retried").hasValue(3);
    } finally {
      runtime.stop();
    }
  }

  @Test
  void keyFile_newKeyIsAcceptedAndTheOldRefusedWithoutARestart() throws Exception {
    Path keys = dir.resolve("keys.txt");
    Files.writeString(keys, "old-primary\nsecondary\n");
    RuntimeSettings settings = new RuntimeSettings("tiny", 0, null, KeyRing.of(List.of(), keys), null, null,
        RuntimeSettings.DEFAULT_MAX_INBOUND_MESSAGE_BYTES, null);
    ScoringRuntime runtime = new ScoringRuntime(settings).start(RuntimeHarness.loader(folder));
    ManagedChannel channel = RuntimeHarness.channel(runtime.port());
    try {
      assertThat(RuntimeHarness.stub(channel, "Bearer old-primary").predict(RuntimeHarness.image(TestImages.jpeg()))
          .getOutputsCount()).isEqualTo(1);

      Path replacement = dir.resolve("keys.txt.new");
      Files.writeString(replacement, "new-primary-with-another-length\nsecondary\n");
      Files.move(replacement, keys, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);

      awaitAccepted(channel, "Bearer new-primary-with-another-length");
      ScoringRuntimeTest.assertRefused(() -> RuntimeHarness.stub(channel, "Bearer old-primary")
          .predict(RuntimeHarness.image(TestImages.jpeg())), Status.Code.UNAUTHENTICATED, "not valid");
      assertThat(RuntimeHarness.stub(channel, "Bearer secondary").predict(RuntimeHarness.image(TestImages.jpeg()))
          .getOutputsCount()).isEqualTo(1);
    } finally {
      channel.shutdownNow();
      runtime.stop();
    }
  }

  @Test
  void tls_servesClientsThatTrustTheCertificateAndOnlyThem() throws Exception {
    TestCertificates.Pem pem = TestCertificates.selfSigned(dir.resolve("tls"));
    RuntimeSettings settings = new RuntimeSettings("tiny", 0, null, KeyRing.of(List.of("k")), pem.certificate(), pem.key(),
        RuntimeSettings.DEFAULT_MAX_INBOUND_MESSAGE_BYTES, null);
    ScoringRuntime runtime = new ScoringRuntime(settings).start(RuntimeHarness.loader(folder));
    try (PredictionClient trusting = PredictionClient.builder("localhost:" + runtime.port())
            .trustCertificate(pem.certificate()).key("k").maxAttempts(1).build();
        PredictionClient plaintext = PredictionClient.builder("localhost:" + runtime.port())
            .key("k").maxAttempts(1).deadline(Duration.ofSeconds(5)).build()) {
      assertThat(trusting.classify(List.of(TestImages.jpeg()), 1)).hasSize(1);
      assertThatThrownBy(() -> plaintext.classify(List.of(TestImages.jpeg()), 1))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    } finally {
      runtime.stop();
    }
  }

  @Test
  void portFile_holdsTheBoundPort() throws Exception {
    Path portFile = dir.resolve("run/port");
    RuntimeSettings settings = new RuntimeSettings("tiny", 0, portFile, null, null, null,
        RuntimeSettings.DEFAULT_MAX_INBOUND_MESSAGE_BYTES, null);
    ScoringRuntime runtime = new ScoringRuntime(settings).listen();
    try {
      assertThat(Files.readString(portFile)).isEqualTo(Integer.toString(runtime.port()));
    } finally {
      runtime.stop();
    }
  }

  @Test
  void listen_thatFailsAfterBinding_freesEveryPortItBound() throws Throwable {
    // The port file's folder is a file: the write fails after the gRPC and health servers are bound.
    Path blocker = Files.writeString(dir.resolve("not-a-folder"), "x");
    int grpcPort = freePort();
    int healthPort = freePort();
    RuntimeSettings unwritable = new RuntimeSettings("tiny", grpcPort, blocker.resolve("port"), null, null, null,
        RuntimeSettings.DEFAULT_MAX_INBOUND_MESSAGE_BYTES, null).withHealthPort(healthPort, null).withMetricsPort(0);
    failToListen(unwritable, () -> {
      assertBindable(grpcPort, "the gRPC port, after the port file could not be written");
      assertBindable(healthPort, "the health port, after the port file could not be written");
    });

    // The metrics port is taken (on every interface, as the metrics server binds): listening on it fails after the
    // gRPC port is bound.
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0)) {
      int port = freePort();
      RuntimeSettings metricsTaken = new RuntimeSettings("tiny", port, null, null, null, null,
          RuntimeSettings.DEFAULT_MAX_INBOUND_MESSAGE_BYTES, null).withMetricsPort(taken.getLocalPort());
      failToListen(metricsTaken, () -> assertBindable(port, "the gRPC port, after the metrics port was found taken"));
    }
  }

  /** listen() fails; {@code then} runs before anyone calls stop(), as a caller that gives up on the runtime would. */
  private static void failToListen(RuntimeSettings settings, org.junit.jupiter.api.function.Executable then)
      throws Throwable {
    ScoringRuntime runtime = new ScoringRuntime(settings);
    try {
      assertThatThrownBy(runtime::listen).isInstanceOf(java.io.IOException.class);
      then.execute();
    } finally {
      runtime.stop();
    }
  }

  private static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  // At once, no retry: the failed start returns only when what it bound is closed.
  private static void assertBindable(int port, String what) throws java.io.IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new java.net.InetSocketAddress(port));
    } catch (java.net.BindException e) {
      throw new AssertionError(what + " (" + port + ") is still held: " + e.getMessage(), e);
    }
  }

  @Test
  void stop_afterStartFailedBeforeListening_leavesNoGcListenerBehind() throws Exception {
    long before = liveGcListeners();

    // A TLS key that is not there fails listen() before any server is built: nothing but the test holds the runtime.
    RuntimeSettings missingKey = new RuntimeSettings("tiny", 0, null, null, dir.resolve("absent-cert.pem"),
        dir.resolve("absent-key.pem"), RuntimeSettings.DEFAULT_MAX_INBOUND_MESSAGE_BYTES, null).withMetricsPort(0);
    for (int i = 0; i < 3; i++) {
      failToStart(missingKey);
    }

    // Stopped and dropped, a runtime's listener is garbage unless it is still registered on the GC beans. Polled:
    // the JVM's notification thread may hold the listeners of a GC notification it is delivering for a moment.
    long after = liveGcListeners();
    for (int i = 0; i < 50 && after > before; i++) {
      Thread.sleep(200);
      after = liveGcListeners();
    }
    assertThat(after).as("Micrometer GC notification listeners alive after three failed starts").isLessThanOrEqualTo(before);
  }

  /** Starts a runtime that cannot listen, then stops it as the shutdown hook of {@code realtime-ai runtime} does. */
  private static void failToStart(RuntimeSettings settings) throws InterruptedException {
    ScoringRuntime runtime = new ScoringRuntime(settings);
    try {
      assertThatThrownBy(() -> runtime.start(() -> {
        throw new AssertionError("a runtime that cannot listen loads nothing");
      })).isInstanceOf(java.io.IOException.class);
    } finally {
      runtime.stop();
    }
  }

  /**
   * Live instances of the listener Micrometer's GC metrics add to every GC bean, from the JVM's class
   * histogram (taken after a full GC): a runtime whose metrics were closed and dropped leaves none.
   */
  private static long liveGcListeners() throws Exception {
    String histogram = (String) ManagementFactory.getPlatformMBeanServer().invoke(
        new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
        new Object[] {new String[0]}, new String[] {String[].class.getName()});
    String listener = JvmGcMetrics.class.getName() + "$GcMetricsNotificationListener";
    for (String line : histogram.split("\n")) {
      String[] columns = line.strip().split("\\s+");
      if (columns.length >= 4 && columns[3].equals(listener)) {
        return Long.parseLong(columns[1]);
      }
    }
    return 0;
  }

  private static void awaitAccepted(ManagedChannel channel, String authorization) throws InterruptedException {
    for (int i = 0; i < 200; i++) {
      try {
        RuntimeHarness.stub(channel, authorization).predict(RuntimeHarness.image(TestImages.jpeg()));
        return;
      } catch (StatusRuntimeException e) {
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        Thread.sleep(25);
      }
    }
    throw new AssertionError("the new key was never accepted");
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
