package io.realtimeai.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import io.realtimeai.proto.serving.ModelSpec;
import io.realtimeai.proto.serving.PredictRequest;
import io.realtimeai.proto.serving.PredictResponse;
import io.realtimeai.proto.serving.PredictionServiceGrpc;
import io.realtimeai.runtime.ScoringRuntime;
import io.realtimeai.testing.TestImages;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A client of several replicas: round robin over the SERVING ones, on real runtimes on loopback ports. */
@Tag("integration")
class ReplicaBalancingTest {
  private static final byte[] IMAGE = TestImages.jpeg();
  // A replica that has just connected may not be picked yet; no test needs more calls than this to see it.
  private static final int CALLS_TO_SEE_EVERY_REPLICA = 200;

  @TempDir Path dir;

  @Test
  void predict_spreadsCallsRoundRobinOverEveryReplica() throws Exception {
    try (Replicas replicas = Replicas.plaintext(dir);
        PredictionClient client = client(Replicas.addresses(
            replicas.serving("a"), replicas.serving("b"), replicas.serving("c"))).build()) {
      awaitAnswersFrom(client, Set.of("a", "b", "c"));

      Map<String, Integer> calls = count(client, 30);

      assertThat(calls).containsOnlyKeys("a", "b", "c");
      assertThat(calls.values()).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(5));
    }
  }

  @Test
  void predict_skipsAStoppedReplicaAndKeepsSucceedingOnTheOthers() throws Exception {
    try (Replicas replicas = Replicas.plaintext(dir)) {
      ScoringRuntime b = replicas.serving("b");
      try (PredictionClient client = client(Replicas.addresses(replicas.serving("a"), b, replicas.serving("c"))).build()) {
        awaitAnswersFrom(client, Set.of("a", "b", "c"));

        b.stop();

        assertThat(count(client, 30)).containsOnlyKeys("a", "c");
      }
    }
  }

  @Test
  void predict_sendsNothingToALoadingReplicaUntilItServes() throws Exception {
    try (Replicas replicas = Replicas.plaintext(dir)) {
      ScoringRuntime loading = replicas.loading("loading");
      // One attempt per call: a call that reached the loading replica would fail, not be retried elsewhere.
      try (PredictionClient client = client(Replicas.addresses(replicas.serving("a"), loading, replicas.serving("b")))
          .maxAttempts(1).build()) {
        awaitAnswersFrom(client, Set.of("a", "b"));

        assertThat(count(client, 30)).containsOnlyKeys("a", "b");

        replicas.finishLoading(loading);

        awaitAnswersFrom(client, Set.of("a", "b", "loading"));
      }
    }
  }

  @Test
  void updateAddresses_movesTrafficToTheNewReplicasAndFinishesCallsInFlight() throws Exception {
    HeldReplica held = new HeldReplica();
    try (Replicas replicas = Replicas.plaintext(dir);
        PredictionClient client = client(List.of("127.0.0.1:" + held.port())).maxAttempts(1).build()) {
      CompletableFuture<String> inFlight = CompletableFuture.supplyAsync(() -> answeredBy(client));
      assertThat(held.entered.await(30, TimeUnit.SECONDS)).as("the call reached the held replica").isTrue();

      client.updateAddresses(Replicas.addresses(replicas.serving("a"), replicas.serving("b")));

      awaitAnswersFrom(client, Set.of("a", "b"));
      assertThat(count(client, 20)).containsOnlyKeys("a", "b");
      assertThat(inFlight).isNotDone();
      held.release.countDown();
      assertThat(inFlight.get(30, TimeUnit.SECONDS)).isEqualTo("held");
    } finally {
      held.stop();
    }
  }

  @Test
  void updateAddresses_followsAReplicaThatRestartedOnANewPort() throws Exception {
    try (Replicas replicas = Replicas.plaintext(dir)) {
      ScoringRuntime first = replicas.serving("a");
      try (PredictionClient client = client(Replicas.addresses(first, replicas.serving("b"))).build()) {
        awaitAnswersFrom(client, Set.of("a", "b"));

        first.stop();
        client.updateAddresses(Replicas.addresses(replicas.serving("a-restarted"), replicas.serving("c")));

        awaitAnswersFrom(client, Set.of("a-restarted", "c"));
        assertThat(count(client, 20)).containsOnlyKeys("a-restarted", "c");
      }
    }
  }

  @Test
  void predict_failsWithUnavailableWhenEveryReplicaIsDown() throws Exception {
    try (Replicas replicas = Replicas.plaintext(dir)) {
      ScoringRuntime a = replicas.serving("a");
      ScoringRuntime b = replicas.serving("b");
      List<String> addresses = Replicas.addresses(a, b);
      // A deadline far above what the retries take: the call must end on UNAVAILABLE, not on the deadline.
      try (PredictionClient client = client(addresses).deadline(Duration.ofSeconds(60))
              .backoff(Duration.ofMillis(10), Duration.ofMillis(50)).build();
          PredictionClient fresh = client(addresses).deadline(Duration.ofSeconds(60))
              .backoff(Duration.ofMillis(10), Duration.ofMillis(50)).build()) {
        awaitAnswersFrom(client, Set.of("a", "b"));

        a.stop();
        b.stop();

        assertUnavailable(() -> answeredBy(client));
        assertUnavailable(() -> answeredBy(fresh));
      }
    }
  }

  @Test
  void client_sendsTheKeyOverTlsToEveryReplica() throws Exception {
    try (Replicas replicas = Replicas.tls(dir)) {
      List<String> addresses = Replicas.addresses(replicas.serving("a"), replicas.serving("b"));
      try (PredictionClient client = PredictionClient.builder(addresses).trustCertificate(replicas.certificate())
              .key(Replicas.KEY).build();
          PredictionClient keyless = PredictionClient.builder(addresses).trustCertificate(replicas.certificate())
              .authority("localhost").build()) {
        awaitAnswersFrom(client, Set.of("a", "b"));
        assertThat(client.labels()).hasSize(10);
        assertThat(client.classify(List.of(IMAGE), 3).get(0)).hasSize(3);
        assertThat(client.accelerator()).isNotBlank();

        assertThatThrownBy(() -> keyless.predictImages(List.of(IMAGE)))
            .isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
      }
    }
  }

  @Test
  void builder_ofOneAddressStillServesAsBefore() throws Exception {
    try (Replicas replicas = Replicas.plaintext(dir)) {
      ScoringRuntime only = replicas.serving("only");
      try (PredictionClient client = PredictionClient.builder("localhost:" + only.port()).key(Replicas.KEY).build()) {
        assertThat(answeredBy(client)).isEqualTo("only");
        assertThat(client.classify(List.of(IMAGE), 1)).hasSize(1);
      }
    }
  }

  private static PredictionClient.Builder client(List<String> addresses) {
    return PredictionClient.builder(addresses).key(Replicas.KEY);
  }

  private static String answeredBy(PredictionClient client) {
    return client.predictImages(List.of(IMAGE)).getModelSpec().getName();
  }

  private static Map<String, Integer> count(PredictionClient client, int calls) {
    Map<String, Integer> answers = new HashMap<>();
    for (int i = 0; i < calls; i++) {
      answers.merge(answeredBy(client), 1, Integer::sum);
    }
    return answers;
  }

  /** Calls until every one of {@code names} has answered (each newly connected replica joins the rotation). */
  private static void awaitAnswersFrom(PredictionClient client, Set<String> names) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < CALLS_TO_SEE_EVERY_REPLICA && !seen.containsAll(names); i++) {
      seen.add(answeredBy(client));
    }
    assertThat(seen).as("replicas that answered").containsAll(names);
  }

  private static void assertUnavailable(Runnable call) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class,
        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  /**
   * A replica that holds every Predict call until released, answering {@code held}: a plain gRPC
   * server, because a scoring runtime cannot be made to hold a call from outside its package.
   */
  private static final class HeldReplica {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    private final Server server;

    HeldReplica() throws java.io.IOException {
      HealthStatusManager health = new HealthStatusManager();
      health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
      server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
          .addService(new PredictionServiceGrpc.PredictionServiceImplBase() {
            @Override
            public void predict(PredictRequest request, StreamObserver<PredictResponse> response) {
              entered.countDown();
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              response.onNext(PredictResponse.newBuilder().setModelSpec(ModelSpec.newBuilder().setName("held")).build());
              response.onCompleted();
            }
          })
          .addService(health.getHealthService())
          .build()
          .start();
    }

    int port() {
      return server.getPort();
    }

    void stop() throws InterruptedException {
      release.countDown();
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
