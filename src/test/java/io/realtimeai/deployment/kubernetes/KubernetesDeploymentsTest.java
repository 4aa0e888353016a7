package io.realtimeai.deployment.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.FakeCluster;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TcpLink;
import io.realtimeai.testing.TestApp;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code REPLICA_PROVIDER=kubernetes} through the whole control plane (the local host on Azurite,
 * the HTTP API, the orchestrator) against fabric8's Kubernetes mock API server in CRUD mode. No
 * API server can run here, so the test plays the cluster's controllers ({@link FakeCluster}) with
 * stand-in containers: what is checked is what the app asks of Kubernetes and how it reads back
 * what the cluster says.
 */
@Tag("integration")
class KubernetesDeploymentsTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  private static final String NAMESPACE = "realtime-ai";
  private static final Duration DEPLOY = Duration.ofSeconds(90);
  private static final int TIMEOUT_SECONDS = 20;
  /** Answers a test asks for ({@code server.expect()}), given before the store's own. */
  private static final Map<ServerRequest, Queue<ServerResponse>> EXPECTED = new HashMap<>();

  @TempDir static Path dir;
  static KubernetesMockServer server;
  static TcpLink link;
  static KubernetesClient kubernetes;
  static FakeCluster cluster;
  static TestApp app;
  static String model;
  static String otherModel;

  @BeforeAll
  static void start() throws Exception {
    server = apiServer(0);
    // The app reaches the API server over a link the test can cut (the cluster's controllers do not).
    link = new TcpLink(server.getPort());
    kubernetes = server.createClient();
    cluster = new FakeCluster(kubernetes, NAMESPACE, FakeCluster.standIns(Set.of("crashing")));
    app = TestApp.start(azurite, dir, Map.of(
        "REPLICA_PROVIDER", "kubernetes",
        "KUBERNETES_KUBECONFIG", kubeconfig(link.port()),
        "KUBERNETES_NAMESPACE", NAMESPACE,
        "KUBERNETES_RUNTIME_IMAGE", "example.azurecr.io/realtime-ai-runtime:0.1.0",
        "KUBERNETES_GPU_NODE_SELECTOR", "accelerator=nvidia",
        "KUBERNETES_GPU_TOLERATION", "sku=gpu:NoSchedule",
        "DEPLOYMENT_TIMEOUT_SECONDS", Integer.toString(TIMEOUT_SECONDS)));
    model = app.register("tiny", ModelFolders.tinyClassifier(dir.resolve("tiny")), dir);
    Path other = ModelFolders.tinyClassifier(dir.resolve("tiny-two"));
    Files.writeString(other.resolve("labels.txt"), Files.readString(other.resolve("labels.txt")).replace("class-1", "one"));
    otherModel = app.register("tiny", other, dir);
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    cluster.close();
    kubernetes.close();
    link.close();
    server.destroy();
  }

  static KubernetesMockServer apiServer(int port) {
    KubernetesMockServer started = new KubernetesMockServer(new Context(), new MockWebServer(), EXPECTED,
        new KubernetesMixedDispatcher(EXPECTED), false);
    started.init(InetAddress.getLoopbackAddress(), port);
    return started;
  }

  static String kubeconfig(int port) {
    return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: mock
          cluster:
            server: http://127.0.0.1:%d
        contexts:
        - name: mock
          context:
            cluster: mock
            user: tester
            namespace: realtime-ai
        current-context: mock
        users:
        - name: tester
          user:
            token: not-checked-by-the-mock
        """.formatted(port);
  }

  private static JsonNode finished(String operation) throws InterruptedException {
    return app.awaitJson(operation, DEPLOY, body -> !List.of("NotStarted", "Running").contains(body.get("state").asText()));
  }

  private static JsonNode succeeded(String operation) throws InterruptedException {
    JsonNode done = finished(operation);
    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("Succeeded");
    return done;
  }

  private static String operation(TestApp.Answer accepted) {
    assertThat(accepted.status()).as(accepted.text()).isEqualTo(202);
    return "/api/operations/" + accepted.body().get("id").asText();
  }

  private static Deployment deployment(String serviceId) {
    return kubernetes.apps().deployments().inNamespace(NAMESPACE).withName(serviceId).get();
  }

  private static Container container(Deployment deployment) {
    return deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  private static String argument(Container container, String flag) {
    List<String> args = container.getArgs();
    return args.get(args.indexOf(flag) + 1);
  }

  private static Secret secret(String serviceId) {
    return kubernetes.secrets().inNamespace(NAMESPACE).withName(serviceId + "-secret").get();
  }

  /** The Service's ready endpoints now (the fake cluster publishes one slice per ready pod). */
  private static int endpoints(String serviceId) {
    return kubernetes.discovery().v1().endpointSlices().inNamespace(NAMESPACE)
        .withLabel("kubernetes.io/service-name", serviceId).list().getItems().size();
  }

  private static Service service(String serviceId) {
    return kubernetes.services().inNamespace(NAMESPACE).withName(serviceId).get();
  }

  private static void assertAllGone(String serviceId) {
    assertThat(deployment(serviceId)).as("Deployment").isNull();
    assertThat(service(serviceId)).as("Service").isNull();
    assertThat(secret(serviceId)).as("Secret").isNull();
    assertThat(cluster.pods(serviceId)).as("pods").isEmpty();
  }

  @Test
  void cpuService_isCreatedScaledRolledKeyedAndDeletedAsKubernetesObjects() throws Exception {
    succeeded(app.createService(Map.of("name", "kube-cpu", "modelId", model, "computeType", "CPU", "numReplicas", 2)));
    JsonNode record = app.get("/api/services/kube-cpu").body();
    String id = record.get("id").asText();

    // Create: a Deployment of 2 runtime pods reading the registered package, a Secret, a Service.
    Deployment deployment = deployment(id);
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
    Container runtime = container(deployment);
    assertThat(runtime.getImage()).isEqualTo("example.azurecr.io/realtime-ai-runtime:0.1.0");
    String packageUrl = argument(runtime, "--package");
    assertThat(packageUrl).startsWith(app.storage().container(StorageLayout.MODELS).getBlobContainerUrl() + "/tiny/")
        .endsWith("/model.zip");
    assertThat(argument(runtime, "--package-sha256")).matches("[0-9a-f]{64}");
    assertThat(argument(runtime, "--key-file")).isEqualTo("/etc/realtime-ai/secret/keys");
    assertThat(argument(runtime, "--port")).isEqualTo("8500");
    assertThat(argument(runtime, "--accelerator")).isEqualTo("cpu");
    assertThat(runtime.getReadinessProbe().getGrpc().getPort()).isEqualTo(8501);
    assertThat(runtime.getLivenessProbe().getGrpc().getPort()).isEqualTo(8501);
    assertThat(runtime.getStartupProbe().getGrpc().getPort()).isEqualTo(8501);
    assertThat(runtime.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(runtime.getResources().getLimits()).doesNotContainKey("nvidia.com/gpu");
    String primary = app.get("/api/services/kube-cpu/keys").body().get("primaryKey").asText();
    Secret secret = secret(id);
    assertThat(ServiceObjects.decode(secret.getData().get("keys"))).contains(primary);
    assertThat(ServiceObjects.decode(secret.getData().get("storage"))).as("Azurite's connection, for pods to read packages")
        .contains("AccountKey=");
    assertThat(secret.getMetadata().getOwnerReferences()).extracting(o -> o.getName()).containsExactly(id);
    Service service = service(id);
    assertThat(service.getSpec().getType()).isEqualTo("LoadBalancer");
    assertThat(service.getMetadata().getOwnerReferences()).extracting(o -> o.getName()).containsExactly(id);
    // The record's address is the Service's; its replicas are the pods' endpoints, which callers balance over.
    String loadBalancer = service.getStatus().getLoadBalancer().getIngress().get(0).getIp();
    assertThat(record.get("ipAddress").asText()).isEqualTo(loadBalancer);
    assertThat(record.get("port").asInt()).isEqualTo(8500);
    assertThat(record.get("replicas")).hasSize(2).allSatisfy(r -> {
      assertThat(r.get("state").asText()).isEqualTo("Ready");
      assertThat(r.get("ipAddress").asText()).startsWith("10.244.0.");
    });

    // Scale: the same Deployment, one pod more.
    succeeded(operation(app.put("/api/services/kube-cpu", Map.of("numReplicas", 3))));
    assertThat(deployment(id).getSpec().getReplicas()).isEqualTo(3);
    assertThat(cluster.pods(id)).hasSize(3);
    assertThat(app.get("/api/services/kube-cpu").body().get("replicas").findValuesAsText("ipAddress"))
        .hasSize(3).doesNotHaveDuplicates();

    // Update: another model is a rolling update of the pod template; the old pods go once the new are ready.
    String oldTemplate = deployment(id).getSpec().getTemplate().getMetadata().getLabels().get("realtime-ai.io/template");
    String update = operation(app.put("/api/services/kube-cpu", Map.of("modelId", otherModel)));
    int fewestReady = Integer.MAX_VALUE;
    long deadline = System.nanoTime() + DEPLOY.toNanos();
    while (List.of("NotStarted", "Running").contains(app.get(update).body().get("state").asText())
        && System.nanoTime() < deadline) {
      fewestReady = Math.min(fewestReady, endpoints(id));
      Thread.sleep(50);
    }
    succeeded(update);
    assertThat(fewestReady).as("pods serving at every moment of the rolling update").isGreaterThanOrEqualTo(3);
    Deployment rolled = deployment(id);
    String newTemplate = rolled.getSpec().getTemplate().getMetadata().getLabels().get("realtime-ai.io/template");
    assertThat(newTemplate).isNotEqualTo(oldTemplate);
    assertThat(rolled.getSpec().getReplicas()).isEqualTo(3);
    assertThat(argument(container(rolled), "--package")).isNotEqualTo(packageUrl);
    assertThat(rolled.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
    TestApp.await("old pods gone", DEPLOY, () -> cluster.pods(id).stream()
        .allMatch(p -> newTemplate.equals(p.getMetadata().getLabels().get("realtime-ai.io/template"))) ? true : null);
    assertThat(app.get("/api/services/kube-cpu").body().get("modelId").asText()).isEqualTo(otherModel);

    // Keys: the Secret changes, the pods do not (the runtime re-reads its mounted key file).
    List<String> podsBefore = cluster.pods(id).stream().map(p -> p.getMetadata().getName()).sorted().toList();
    TestApp.Answer regenerated = app.post("/api/services/kube-cpu/regenerateKeys", Map.of("keyType", "Primary"));
    assertThat(regenerated.status()).as(regenerated.text()).isEqualTo(200);
    String newPrimary = regenerated.body().get("primaryKey").asText();
    assertThat(ServiceObjects.decode(secret(id).getData().get("keys"))).contains(newPrimary).doesNotContain(primary);
    assertThat(cluster.pods(id).stream().map(p -> p.getMetadata().getName()).sorted().toList()).isEqualTo(podsBefore);

    // Delete: everything goes, and the operation finishes only once no pod is left.
    succeeded(operation(app.delete("/api/services/kube-cpu")));
    assertAllGone(id);
    assertThat(app.get("/api/services/kube-cpu").status()).isEqualTo(404);
  }

  @Test
  void crashLoopingPod_failsTheOperationWithTheContainersOwnReason() throws Exception {
    JsonNode done = finished(app.createService(Map.of("name", "crashing", "modelId", model, "computeType", "CPU")));
    String id = app.get("/api/services/crashing").body().get("id").asText();

    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("Failed");
    assertThat(done.get("error").get("code").asText()).isEqualTo("RuntimeFailed");
    assertThat(done.get("error").get("message").asText())
        .contains("CrashLoopBackOff").contains("last exit code 1").contains("given by --package-sha256");
    TestApp.await("the failed service's objects removed", DEPLOY, () -> deployment(id) == null ? true : null);
    assertAllGone(id);
  }

  @Test
  void waitingStepSentAgainBySupervisors_leavesOneChainOfMessages() throws Exception {
    cluster.gpuNodes(0);
    String operation = app.createService(Map.of("name", "kube-gpu-chain", "modelId", model, "computeType", "GPU"));
    app.awaitJson(operation, DEPLOY, body -> body.get("state").asText().equals("Running"));

    // While it waits for its pod, the keys cannot change: the replica it starts takes the keys it read.
    TestApp.Answer rekey = app.post("/api/services/kube-gpu-chain/regenerateKeys", Map.of("keyType", "Primary"));
    assertThat(rekey.status()).as(rekey.text()).isEqualTo(409);

    // The supervisors of four hosts, a minute ahead, find the waiting operation stalled, and each sends its step again.
    // (Counted once the operation waits for its pod: until then it provisions, and a resent Provision's chain ends at
    // the step after it anyway.)
    int resent = 0;
    for (int round = 0; round < 80 && resent < 4; round++) {
      var host = io.realtimeai.app.App.get().supervisor()
          .withClock(java.time.Clock.offset(java.time.Clock.systemUTC(), Duration.ofMinutes(1)));
      int sent = (int) host.supervise().resent().stream().filter(step -> step.endsWith(" WaitForReady")).count();
      assertThat(host.supervise().resent()).as("a supervisor sends a step again once per 30 s").isEmpty();
      resent += sent;
      Thread.sleep(100);
    }
    assertThat(resent).isEqualTo(4);

    // Each resend ends the chain before it at that chain's next message: one chain of WaitForReady messages goes on,
    // sending a message every 5 s at most once it has waited a while (five chains would send five or more).
    Thread.sleep(2_000);
    var sends = io.realtimeai.storage.StorageRequests.app();
    long before = sends.snapshot().getOrDefault("POST queue", 0L);
    Thread.sleep(5_000);
    long sent = sends.snapshot().getOrDefault("POST queue", 0L) - before;
    assertThat(app.get(operation).body().get("state").asText()).as("still waiting for a GPU node").isEqualTo("Running");
    assertThat(sent).as("step messages sent in 5 s").isLessThanOrEqualTo(2);
    JsonNode done = finished(operation);
    assertThat(done.get("error").get("code").asText()).isEqualTo("DeploymentTimeout");
    assertAllGone(app.get("/api/services/kube-gpu-chain").body().get("id").asText());
  }

  @Test
  void gpuNobodyCanSchedule_failsAtTheDeadlineWithTheSchedulersMessage() throws Exception {
    cluster.gpuNodes(0);
    JsonNode done = finished(app.createService(Map.of("name", "kube-gpu", "modelId", model, "computeType", "GPU")));
    String id = app.get("/api/services/kube-gpu").body().get("id").asText();

    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("Failed");
    assertThat(done.get("error").get("code").asText()).isEqualTo("DeploymentTimeout");
    assertThat(done.get("error").get("message").asText())
        .startsWith("the deployment did not finish within " + TIMEOUT_SECONDS + " s")
        .contains("cannot be scheduled: 0/1 nodes are available: 1 Insufficient nvidia.com/gpu");
    assertAllGone(id);
  }

  @Test
  void gpuService_asksForOneGpuOnTheGpuPoolAndRunsOnceANodeIsThere() throws Exception {
    cluster.gpuNodes(1);
    try {
      succeeded(app.createService(Map.of("name", "kube-gpu-ok", "modelId", model, "computeType", "GPU")));
      String id = app.get("/api/services/kube-gpu-ok").body().get("id").asText();
      Container runtime = container(deployment(id));
      assertThat(runtime.getResources().getLimits().get("nvidia.com/gpu").getAmount()).isEqualTo("1");
      assertThat(argument(runtime, "--accelerator")).isEqualTo("cuda");
      var pod = deployment(id).getSpec().getTemplate().getSpec();
      assertThat(pod.getNodeSelector()).containsEntry("accelerator", "nvidia");
      assertThat(pod.getTolerations()).anySatisfy(t -> {
        assertThat(t.getKey()).isEqualTo("sku");
        assertThat(t.getValue()).isEqualTo("gpu");
        assertThat(t.getEffect()).isEqualTo("NoSchedule");
      });
      assertThat(app.get("/api/services/kube-gpu-ok").body().get("accelerator").asText()).isEqualTo("CUDA");
      succeeded(operation(app.delete("/api/services/kube-gpu-ok")));
      assertAllGone(id);
    } finally {
      cluster.gpuNodes(0);
    }
  }

  @Test
  void objectTheApiServerRefuses_failsTheOperationAtOnceWithItsAnswer() throws Exception {
    server.expect().post().withPath("/apis/apps/v1/namespaces/" + NAMESPACE + "/deployments")
        .andReturn(422, new io.fabric8.kubernetes.api.model.StatusBuilder().withStatus("Failure").withCode(422)
            .withReason("Invalid").withMessage("Deployment.apps is invalid: spec.template.spec.containers[0].resources"
                + ".requests[cpu]: Invalid value: \"lots\": quantities must match the regular expression")
            .build()).once();

    JsonNode done = finished(app.createService(Map.of("name", "kube-refused", "modelId", model, "computeType", "CPU")));

    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("Failed");
    assertThat(done.get("error").get("code").asText()).isEqualTo("ReplicaProviderRejected");
    assertThat(done.get("error").get("message").asText()).contains("answered (422 Invalid)")
        .contains("quantities must match the regular expression");
    assertAllGone(app.get("/api/services/kube-refused").body().get("id").asText());
  }

  @Test
  void modelGoneWhileTheOperationWaits_failsItAtOnceSayingSo() throws Exception {
    cluster.gpuNodes(0);
    String doomed = app.register("doomed", ModelFolders.tinyClassifier(dir.resolve("doomed")), dir);
    String operation = app.createService(Map.of("name", "kube-orphan", "modelId", doomed, "computeType", "GPU"));
    String id = app.awaitJson("/api/services/kube-orphan", DEPLOY, body -> deployment(body.get("id").asText()) != null)
        .get("id").asText();
    // What a DELETE racing the create could leave: the version's rows gone (the API refuses it while a service names
    // the model, so they are removed here directly). Then the replica is lost, and starting it again needs the model.
    var models = app.storage().table(StorageLayout.MODELS_TABLE);
    models.listEntities(new com.azure.data.tables.models.ListEntitiesOptions().setFilter("PartitionKey eq 'doomed'"),
        null, null).forEach(row -> models.deleteEntity(row.getPartitionKey(), row.getRowKey()));
    kubernetes.apps().deployments().inNamespace(NAMESPACE).withName(id).delete();

    JsonNode done = finished(operation);

    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("Failed");
    assertThat(done.get("error").get("code").asText()).as(done.toString()).isEqualTo("NotFound");
    assertThat(done.get("error").get("message").asText()).isEqualTo("model '" + doomed + "' does not exist");
    assertAllGone(id);
  }

  @Test
  void lostApiServer_theOperationWaitsAndFinishesWhenItIsBack() throws Exception {
    link.cut();
    String operation;
    try {
      int before = link.turnedAway();
      operation = app.createService(Map.of("name", "kube-lost", "modelId", model, "computeType", "CPU"));
      // Several tries of the step meet no API server; the operation is neither failed nor dropped.
      TestApp.await("the app to try the API server again and again", DEPLOY,
          () -> link.turnedAway() - before >= 5 ? true : null);
      JsonNode waiting = app.get(operation).body();
      assertThat(waiting.get("state").asText()).as(waiting.toString()).isIn("NotStarted", "Running");
    } finally {
      link.mend();
    }

    succeeded(operation);
    String id = app.get("/api/services/kube-lost").body().get("id").asText();
    assertThat(deployment(id)).isNotNull();

    // Keys: a Secret that cannot be written leaves the record as it was (the pods know its keys).
    JsonNode keys = app.get("/api/services/kube-lost/keys").body();
    link.cut();
    try {
      TestApp.Answer refused = app.post("/api/services/kube-lost/regenerateKeys", Map.of("keyType", "Primary"));
      assertThat(refused.status()).as(refused.text()).isEqualTo(503);
      assertThat(app.get("/api/services/kube-lost/keys").body()).isEqualTo(keys);
    } finally {
      link.mend();
    }
    assertThat(ServiceObjects.decode(secret(id).getData().get("keys"))).contains(keys.get("primaryKey").asText());
    assertThat(app.storage().queue(StorageLayout.DEPLOYMENTS_QUEUE + "-poison").peekMessages(32, null, null))
        .as("nothing parked in the poison queue").isEmpty();
    succeeded(operation(app.delete("/api/services/kube-lost")));
    assertAllGone(id);
  }

  @Test
  void podLeftTerminatingOnALostNode_endsTheDeleteAtItsDeadline_andDeletingAgainFinishesOnceItIsGone() throws Exception {
    succeeded(app.createService(Map.of("name", "kube-lost-node", "modelId", model, "computeType", "CPU")));
    String id = app.get("/api/services/kube-lost-node").body().get("id").asText();
    String pod = cluster.pods(id).get(0).getMetadata().getName();
    cluster.cutOff(id, true);
    try {
      JsonNode done = finished(operation(app.delete("/api/services/kube-lost-node")));

      assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("Failed");
      assertThat(done.get("error").get("code").asText()).isEqualTo("DeploymentTimeout");
      assertThat(done.get("error").get("message").asText())
          .startsWith("the delete did not finish within " + TIMEOUT_SECONDS + " s: ")
          .contains("1 pod(s) still terminating ([" + pod + "])")
          .endsWith("; the service stays, Failed; delete it again once its replicas can be stopped");
      // The name stays claimed by a service that says so, whose replica is neither called nor restarted.
      JsonNode service = app.get("/api/services/kube-lost-node").body();
      assertThat(service.get("state").asText()).isEqualTo("Failed");
      assertThat(service.get("replicas")).hasSize(1)
          .allSatisfy(r -> assertThat(r.get("state").asText()).isEqualTo("Stopping"));
      assertThat(deployment(id)).as("Deployment").isNull();
      assertThat(cluster.pods(id)).extracting(p -> p.getMetadata().getName()).containsExactly(pod);
      var failed = TestApp.events("RealtimeAI.ServiceDeploymentFailed", "/services/kube-lost-node");
      assertThat(failed).hasSize(1);
      assertThat(failed.get(0).event().data().get("operationType").asText()).isEqualTo("Delete");
      assertThat(failed.get(0).event().data().get("error").get("code").asText()).isEqualTo("DeploymentTimeout");
      TestApp.Answer score = app.post("/api/services/kube-lost-node/score", Map.of("images", List.of("AAAA")));
      assertThat(score.status()).as(score.text()).isEqualTo(503);
      // Only deleting it goes on: an update or new keys would act on replicas that are neither there nor gone.
      for (TestApp.Answer refused : List.of(app.put("/api/services/kube-lost-node", Map.of("numReplicas", 2)),
          app.post("/api/services/kube-lost-node/regenerateKeys", Map.of("keyType", "Primary")))) {
        assertThat(refused.status()).as(refused.text()).isEqualTo(409);
        assertThat(refused.body().at("/error/code").asText()).isEqualTo("ReplicasStopping");
      }
    } finally {
      cluster.cutOff(id, false);
    }

    // The node is back and lets its pod go: deleting again stops what is left and removes the service.
    succeeded(operation(app.delete("/api/services/kube-lost-node")));
    assertAllGone(id);
    assertThat(app.get("/api/services/kube-lost-node").status()).isEqualTo(404);
    assertThat(TestApp.events("RealtimeAI.ServiceDeleted", "/services/kube-lost-node")).hasSize(1);
  }
}
