package io.realtimeai.deployment.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.realtimeai.app.App;
import io.realtimeai.client.Prediction;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.scoring.ScoreResult;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.FakeCluster;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.RuntimeKubelet;
import io.realtimeai.testing.TestApp;
import io.realtimeai.testing.TestCertificates;
import io.realtimeai.testing.TestImages;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /api/services} with {@code REPLICA_PROVIDER=kubernetes}, all the way to results:
 * the app asks fabric8's mock API server (CRUD mode) for a Deployment of 3 pods; each pod is
 * played by a real {@code realtime-ai runtime} process started with the pod's own container
 * arguments ({@link RuntimeKubelet}), which downloads the registered package from Azurite by its
 * blob URL and checks its sha256; the ready pods are published as the Service's EndpointSlices,
 * which the app reads as the service's replicas. Images are then scored over HTTP and by a dropped
 * folder through that path, and calls are spread over the 3 pods. A TLS service of one pod is
 * ready by its plaintext health port and scores over HTTP through its TLS port.
 */
@Tag("integration")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubernetesEndToEndTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  private static final String NAMESPACE = "realtime-ai";
  private static final Duration DEPLOY = Duration.ofSeconds(120);
  private static final Duration SCORE = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  static KubernetesMockServer server;
  static KubernetesClient kubernetes;
  static FakeCluster cluster;
  static RuntimeKubelet kubelet;
  static TestApp app;
  static JsonNode service;
  static String key;
  static String model;

  @BeforeAll
  static void start() throws Exception {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    kubernetes = server.createClient();
    Path jar = Path.of(System.getProperty("project.jar", "target/realtime-ai.jar")).toAbsolutePath();
    kubelet = RuntimeKubelet.processes(jar, dir.resolve("pods"));
    cluster = new FakeCluster(kubernetes, NAMESPACE, kubelet);
    app = TestApp.start(azurite, dir, Map.of(
        "REPLICA_PROVIDER", "kubernetes",
        "KUBERNETES_KUBECONFIG", KubernetesDeploymentsTest.kubeconfig(server.getPort()),
        "KUBERNETES_NAMESPACE", NAMESPACE,
        "KUBERNETES_RUNTIME_IMAGE", "realtime-ai-runtime:test"));
    model = app.register("tiny", ModelFolders.tinyClassifier(dir.resolve("tiny")), dir);

    String operation = app.createService(Map.of("name", "kube-tiny", "modelId", model, "computeType", "CPU", "numReplicas", 3));

    JsonNode done = app.awaitJson(operation, DEPLOY, body -> !List.of("NotStarted", "Running").contains(body.get("state").asText()));
    assertThat(done.get("state").asText()).as(done + "\npods: " + podLogs()).isEqualTo("Succeeded");
    service = app.get("/api/services/kube-tiny").body();
    key = app.get("/api/services/kube-tiny/keys").body().get("primaryKey").asText();
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    if (cluster != null) {
      cluster.close();
    }
    kubernetes.close();
    server.destroy();
  }

  @Test
  void theServicesReplicasAreItsThreeRuntimePodsServingTheDownloadedPackage() throws Exception {
    List<Pod> pods = cluster.pods(service.get("id").asText());
    assertThat(pods).hasSize(3);
    assertThat(service.get("replicas")).hasSize(3).allSatisfy(r -> assertThat(r.get("state").asText()).isEqualTo("Ready"));
    assertThat(addresses()).hasSize(3).doesNotHaveDuplicates();
    for (Pod pod : pods) {
      // Each pod read the package from its blob URL itself, as a pod on a cluster would.
      String output = Files.readString(dir.resolve("pods").resolve(pod.getMetadata().getName()).resolve("stdout.log"));
      assertThat(output).as(pod.getMetadata().getName()).contains("downloading " + argument(pod, "--package"))
          .contains("serving 'kube-tiny'");
    }
  }

  @Test
  void callsOverThePodsEndpointsAreSpreadOverAllThreeReplicas() throws Exception {
    Set<String> pods = cluster.pods(service.get("id").asText()).stream().map(p -> p.getMetadata().getName())
        .collect(Collectors.toSet());
    // The client the app builds: round robin over the ready replicas the record lists (the pods' endpoints).
    try (PredictionClient client = PredictionClient.builder(addresses()).key(key).build()) {
      byte[] image = TestImages.jpeg();
      Map<String, Integer> answeredBy = new HashMap<>();
      TestApp.await("answers from every pod", SCORE, () -> {
        client.classify(List.of(image), 1);
        answeredBy.merge(client.lastReplica(), 1, Integer::sum);
        return answeredBy.keySet().containsAll(pods) ? true : null;
      });
      answeredBy.clear();

      for (int i = 0; i < 30; i++) {
        client.classify(List.of(image), 1);
        answeredBy.merge(client.lastReplica(), 1, Integer::sum);
      }

      assertThat(answeredBy).as("answers per pod (replica header = pod name)").containsOnlyKeys(pods);
      assertThat(answeredBy.values()).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(5));
    }
  }

  @Test
  void anImageScoredOverHttp_getsThePodsAnswer() throws Exception {
    byte[] image = TestImages.picture("jpg", 64, 48);

    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://localhost:" + app.host().httpPort() + "/api/services/kube-tiny/score"))
        .header("Content-Type", "image/jpeg").POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode top = JSON.readTree(response.body()).at("/predictions/0/0");
    Prediction expected = direct(image);
    assertThat(top.get("label").asText()).isEqualTo(expected.label());
    assertThat(top.get("confidence").floatValue()).isEqualTo(expected.confidence());
  }

  @Test
  void aDroppedFolder_getsOneResultPerImageFromThePods() throws Exception {
    Map<String, byte[]> images = new HashMap<>();
    for (int i = 0; i < 12; i++) {
      images.put("kube-folder/picture-" + i + ".jpg", TestImages.picture("jpg", 32 + 8 * i, 40));
    }

    images.forEach((path, bytes) -> app.drop(StorageLayout.IMAGES, "kube-tiny/" + path, bytes));

    for (Map.Entry<String, byte[]> image : images.entrySet()) {
      ScoreResult result = TestApp.await("the result of " + image.getKey(), SCORE,
          () -> App.get().results().find("kube-tiny", image.getKey()).orElse(null));
      assertThat(result.status()).as(image.getKey()).isEqualTo("Scored");
      assertThat(result.predictions().get(0).get(0)).isEqualTo(direct(image.getValue()));
    }
    assertThat(app.storage().queue(StorageLayout.SCORING_QUEUE + "-poison").peekMessages(32, null, null)).isEmpty();
  }

  @Test
  @Order(Integer.MAX_VALUE)   // the key tests go last: the others score with the keys as they were deployed
  void regeneratedKey_isTakenByEveryPodWithoutARestart() throws Exception {
    String old = app.get("/api/services/kube-tiny/keys").body().get("secondaryKey").asText();
    Set<String> podsBefore = podNames();

    TestApp.Answer regenerated = app.post("/api/services/kube-tiny/regenerateKeys", Map.of("keyType", "Secondary"));

    assertThat(regenerated.status()).as(regenerated.text()).isEqualTo(200);
    String fresh = regenerated.body().get("secondaryKey").asText();
    byte[] image = TestImages.jpeg();
    for (String address : addresses()) {
      TestApp.await(address + " to refuse the old key and take the new", SCORE, () -> {
        try (PredictionClient withOld = PredictionClient.builder(address).key(old).maxAttempts(1).build()) {
          withOld.classify(List.of(image), 1);
          return null;
        } catch (io.grpc.StatusRuntimeException refused) {
          if (refused.getStatus().getCode() != io.grpc.Status.Code.UNAUTHENTICATED) {
            throw refused;
          }
          try (PredictionClient withNew = PredictionClient.builder(address).key(fresh).maxAttempts(1).build()) {
            return withNew.classify(List.of(image), 1).isEmpty() ? null : true;
          }
        }
      });
    }
    assertThat(podNames()).as("the same pods: the mounted key file changed, nothing restarted").isEqualTo(podsBefore);
  }

  @Test
  @Order(Integer.MAX_VALUE - 1)
  void scoringGoesOnWhileANewPrimaryKeyIsOnItsWayToThePods() throws Exception {
    String oldPrimary = key;
    kubelet.holdSecrets();
    try {
      TestApp.Answer regenerated = app.post("/api/services/kube-tiny/regenerateKeys", Map.of("keyType", "Primary"));
      assertThat(regenerated.status()).as(regenerated.text()).isEqualTo(200);
      key = regenerated.body().get("primaryKey").asText();
      // The app's connection reads the record again and sends the new primary, which no pod has yet.
      assertThat(App.get().connections().connection("kube-tiny", true).keys().primaryKey()).isEqualTo(key);

      // Refused with it, the calls go through with the secondary key, which the pods still have.
      for (int i = 0; i < 5; i++) {
        HttpResponse<String> during = score(TestImages.jpeg());
        assertThat(during.statusCode()).as(during.body()).isEqualTo(200);
      }
    } finally {
      kubelet.releaseSecrets();
    }

    assertThat(score(TestImages.jpeg()).statusCode()).isEqualTo(200);
    for (String address : addresses()) {
      try (PredictionClient withOld = PredictionClient.builder(address).key(oldPrimary).maxAttempts(1).build();
          PredictionClient withNew = PredictionClient.builder(address).key(key).maxAttempts(1).build()) {
        TestApp.await(address + " to take the new primary and refuse the old", SCORE, () -> {
          try {
            withNew.classify(List.of(TestImages.jpeg()), 1);
          } catch (io.grpc.StatusRuntimeException notYet) {
            return null;
          }
          try {
            withOld.classify(List.of(TestImages.jpeg()), 1);
            return null;
          } catch (io.grpc.StatusRuntimeException refused) {
            return refused.getStatus().getCode() == io.grpc.Status.Code.UNAUTHENTICATED ? true : null;
          }
        });
      }
    }
  }

  private static HttpResponse<String> score(byte[] image) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://localhost:" + app.host().httpPort() + "/api/services/kube-tiny/score"))
        .header("Content-Type", "image/jpeg").POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aTlsService_isReadyByItsHealthPortOnceServing_andScoresAnImageOverHttp() throws Exception {
    TestCertificates.Pem pem = TestCertificates.selfSigned(dir.resolve("kube-tls"));

    String operation = app.createService(Map.of("name", "kube-tls", "modelId", model, "computeType", "CPU",
        "numReplicas", 1, "sslEnabled", true, "sslCertificate", Files.readString(pem.certificate()),
        "sslKey", Files.readString(pem.key())));

    JsonNode done = app.awaitJson(operation, DEPLOY, body -> !List.of("NotStarted", "Running").contains(body.get("state").asText()));
    assertThat(done.get("state").asText()).as(done + "\npods: " + podLogs()).isEqualTo("Succeeded");
    String id = app.get("/api/services/kube-tls").body().get("id").asText();
    List<Pod> pods = cluster.pods(id);
    assertThat(pods).hasSize(1);
    assertThat(argument(pods.get(0), "--health-port")).isEqualTo("8501");
    Path stdout = dir.resolve("pods").resolve(pods.get(0).getMetadata().getName()).resolve("stdout.log");
    // The line follows SERVING by a moment: the pod may be ready just before it is written.
    String serving = TestApp.await("the pod's serving line", SCORE, () -> {
      try {
        return Files.readAllLines(stdout).stream().filter(l -> l.startsWith("serving 'kube-tls'")).findFirst().orElse(null);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertThat(serving).contains("TLS");

    byte[] image = TestImages.picture("jpg", 64, 48);
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://localhost:" + app.host().httpPort() + "/api/services/kube-tls/score"))
        .header("Content-Type", "image/jpeg").POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(JSON.readTree(response.body()).at("/predictions/0/0/label").asText()).isEqualTo(direct(image).label());

    TestApp.Answer deleted = app.delete("/api/services/kube-tls");
    assertThat(deleted.status()).as(deleted.text()).isEqualTo(202);
    JsonNode gone = app.awaitJson("/api/operations/" + deleted.body().get("id").asText(), DEPLOY,
        body -> !List.of("NotStarted", "Running").contains(body.get("state").asText()));
    assertThat(gone.get("state").asText()).as(gone.toString()).isEqualTo("Succeeded");
  }

  private static Set<String> podNames() {
    return cluster.pods(service.get("id").asText()).stream().map(p -> p.getMetadata().getName()).collect(Collectors.toSet());
  }

  private static String argument(Pod pod, String flag) {
    List<String> args = pod.getSpec().getContainers().get(0).getArgs();
    return args.get(args.indexOf(flag) + 1);
  }

  /** The ready replicas' {@code host:port}, as the service record lists them. */
  private static List<String> addresses() throws Exception {
    JsonNode replicas = app.get("/api/services/kube-tiny").body().get("replicas");
    return java.util.stream.StreamSupport.stream(replicas.spliterator(), false)
        .filter(r -> "Ready".equals(r.get("state").asText()))
        .map(r -> r.get("ipAddress").asText() + ":" + r.get("port").asInt()).toList();
  }

  /** The top answer of one pod, asked directly. */
  private static Prediction direct(byte[] image) {
    try (PredictionClient client = PredictionClient.builder(addresses().get(0)).key(key).build()) {
      return client.classify(List.of(image), 1).get(0).get(0);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String podLogs() {
    try (var files = java.nio.file.Files.walk(dir.resolve("pods"))) {
      return files.filter(p -> p.getFileName().toString().endsWith(".log")).map(p -> {
        try {
          return p + ":\n" + java.nio.file.Files.readString(p);
        } catch (java.io.IOException e) {
          return p + ": " + e;
        }
      }).collect(Collectors.joining("\n"));
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
