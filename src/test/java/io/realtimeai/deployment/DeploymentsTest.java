package io.realtimeai.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.data.tables.models.TableEntity;
import com.azure.data.tables.models.TableEntityUpdateMode;
import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.realtimeai.app.App;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.scoring.ServiceConnections;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestApp;
import io.realtimeai.testing.TestCertificates;
import io.realtimeai.testing.TestImages;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Brainwave deployment flow over HTTP only, through the local host on a real Azurite, with
 * replicas as real {@code realtime-ai runtime} processes: 202 and an operation to poll, scoring
 * at the address the service reports, failures with the runtime's own reason, replicas that
 * stay up.
 */
@Tag("integration")
class DeploymentsTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  private static final Duration DEPLOY = Duration.ofSeconds(90);

  @TempDir static Path dir;
  static TestApp app;
  static String model;
  static String otherModel;

  @BeforeAll
  static void start() throws Exception {
    app = TestApp.start(azurite, dir, TestApp.localReplicas(dir, "ACCELERATOR_QUOTA", "4"));
    model = app.register("tiny", ModelFolders.tinyClassifier(dir.resolve("tiny")), dir);
    Path other = ModelFolders.tinyClassifier(dir.resolve("tiny-two"));
    Files.writeString(other.resolve("labels.txt"), Files.readString(other.resolve("labels.txt")).replace("class-1", "one"));
    otherModel = app.register("tiny", other, dir);
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
  }

  private static JsonNode finished(String operation) throws InterruptedException {
    return app.awaitJson(operation, DEPLOY, body -> !List.of("NotStarted", "Running").contains(body.get("state").asText()));
  }

  private static JsonNode service(String name) throws Exception {
    return app.get("/api/services/" + name).body();
  }

  private static void delete(String name) throws Exception {
    TestApp.Answer accepted = app.delete("/api/services/" + name);
    assertThat(accepted.status()).as(accepted.text()).isEqualTo(202);
    assertThat(finished("/api/operations/" + accepted.body().get("id").asText()).get("state").asText()).isEqualTo("Succeeded");
  }

  private static PredictionClient client(JsonNode service, String key) {
    return PredictionClient.builder(service.get("ipAddress").asText() + ":" + service.get("port").asInt())
        .key(key).maxAttempts(1).deadline(Duration.ofSeconds(30)).build();
  }

  @Test
  void walkthrough_registerDeployPollScoreDeleteOverHttpOnly() throws Exception {
    TestApp.Answer accepted = app.post("/api/services", Map.of("name", "walkthrough", "modelId", model, "computeType", "FPGA",
        "numReplicas", 1));
    assertThat(accepted.status()).isEqualTo(202);
    String location = accepted.body().get("resourceLocation").asText();
    String operation = "/api/operations/" + accepted.body().get("id").asText();

    JsonNode done = finished(operation);
    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("Succeeded");
    assertThat(done.get("endTime").isNull()).isFalse();
    JsonNode service = app.get(location).body();
    assertThat(service.get("state").asText()).isEqualTo("Succeeded");
    assertThat(service.get("accelerator").asText()).isEqualTo("CPU");
    assertThat(service.get("computeEnvironmentType").asText()).isEqualTo("FPGA");
    // The app opened its own connection as the deployment finished, before any score call.
    ServiceConnections.Connection primed = TestApp.await("the app's connection to walkthrough", DEPLOY,
        () -> App.get().connections().existing("walkthrough").filter(c -> c.client() != null).orElse(null));
    assertThat(primed.service().id()).isEqualTo(service.get("id").asText());
    String primary = app.get("/api/services/walkthrough/keys").body().get("primaryKey").asText();
    int port = service.get("port").asInt();
    try (PredictionClient client = client(service, primary)) {
      assertThat(client.classify(List.of(TestImages.jpeg()), 3).get(0)).hasSize(3);
    }
    assertThat(TestApp.events("RealtimeAI.ServiceDeployed", "/services/walkthrough")).hasSize(1);

    delete("walkthrough");

    assertThat(App.get().connections().existing("walkthrough")).as("the app's connection, dropped with the service").isEmpty();
    assertThat(App.get().connections().existing(primed.service().id())).isEmpty();
    assertThat(app.get("/api/services/walkthrough").status()).isEqualTo(404);
    assertThat(listening(port)).as("the replica's port is closed").isFalse();
    assertThat(TestApp.events("RealtimeAI.ServiceDeleted", "/services/walkthrough")).hasSize(1);
  }

  @Test
  void threeReplicas_runAsThreeProcessesAndCallsSpreadOverAllThree() throws Exception {
    assertThat(finished(app.createService(Map.of("name", "three", "modelId", model, "computeType", "CPU", "numReplicas", 3)))
        .get("state").asText()).isEqualTo("Succeeded");
    JsonNode service = service("three");
    List<String> addresses = new java.util.ArrayList<>();
    service.get("replicas").forEach(r -> addresses.add(r.get("ipAddress").asText() + ":" + r.get("port").asInt()));
    assertThat(new HashSet<>(addresses)).hasSize(3);
    String key = app.get("/api/services/three/keys").body().get("primaryKey").asText();
    Set<String> answered = new HashSet<>();
    try (PredictionClient client = PredictionClient.builder(addresses).key(key).deadline(Duration.ofSeconds(30)).build()) {
      for (int i = 0; i < 30; i++) {
        client.predictImages(List.of(TestImages.jpeg()));
        answered.add(client.lastReplica());
      }
    }
    assertThat(answered).hasSize(3);
    delete("three");
  }

  @Test
  void regeneratedKey_refusesTheOldKeyAndTakesTheNewOneWithoutARestart() throws Exception {
    finished(app.createService(Map.of("name", "keys", "modelId", model, "computeType", "CPU")));
    JsonNode service = service("keys");
    String old = app.get("/api/services/keys/keys").body().get("primaryKey").asText();

    TestApp.Answer regenerated = app.post("/api/services/keys/regenerateKeys", Map.of("keyType", "Primary"));

    assertThat(regenerated.status()).isEqualTo(200);
    String fresh = regenerated.body().get("primaryKey").asText();
    assertThat(fresh).isNotEqualTo(old);
    try (PredictionClient withNew = client(service, fresh); PredictionClient withOld = client(service, old)) {
      TestApp.await("the new key to be taken", Duration.ofSeconds(10), () -> {
        try {
          return withNew.predictImages(List.of(TestImages.jpeg()));
        } catch (StatusRuntimeException e) {
          return null;
        }
      });
      assertThat(withNew.predictImages(List.of(TestImages.jpeg())).getOutputsCount()).isEqualTo(1);
      assertThatThrownBy(() -> withOld.predictImages(List.of(TestImages.jpeg())))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }
    assertThat(service("keys").get("port").asInt()).as("no restart").isEqualTo(service.get("port").asInt());
    assertError(app.post("/api/services/keys/regenerateKeys", Map.of("keyType", "Tertiary")), 400, "keyType");
    delete("keys");
  }

  @Test
  void runtimeThatCannotStart_failsTheOperationWithTheRuntimesOwnReason() throws Exception {
    JsonNode done = finished(app.createService(Map.of("name", "no-gpu", "modelId", model, "computeType", "GPU")));

    assertThat(done.get("state").asText()).isEqualTo("Failed");
    assertThat(done.at("/error/code").asText()).isEqualTo("RuntimeFailed");
    assertThat(done.at("/error/details").toString()).contains("CUDA was asked for but this ONNX Runtime build offers only");
    assertThat(service("no-gpu").get("state").asText()).isEqualTo("Failed");
    assertThat(TestApp.events("RealtimeAI.ServiceDeploymentFailed", "/services/no-gpu")).hasSize(1);

    // Asked again for what it was asked (it runs nothing), it tries again; failing again, it stays Failed.
    TestApp.Answer again = app.put("/api/services/no-gpu", Map.of("modelId", model, "numReplicas", 1));
    assertThat(again.status()).as(again.text()).isEqualTo(202);
    assertThat(finished("/api/operations/" + again.body().get("id").asText()).at("/error/code").asText())
        .isEqualTo("RuntimeFailed");
    assertThat(service("no-gpu").get("state").asText()).isEqualTo("Failed");
    delete("no-gpu");
  }

  @Test
  void killedReplica_isRestartedAndTheServiceComesBackToSucceeded() throws Exception {
    finished(app.createService(Map.of("name", "phoenix", "modelId", model, "computeType", "CPU")));
    String replica = service("phoenix").get("replicas").get(0).get("id").asText();
    String serviceId = service("phoenix").get("id").asText();
    long pid = Long.parseLong(Files.readString(dir.resolve("replicas").resolve(serviceId).resolve(replica).resolve("pid")).strip());

    ProcessHandle process = ProcessHandle.of(pid).orElseThrow();
    process.destroyForcibly();
    process.onExit().get();

    app.awaitJson("/api/services/phoenix", DEPLOY, s -> !s.get("state").asText().equals("Succeeded"));
    JsonNode back = app.awaitJson("/api/services/phoenix", DEPLOY, s -> s.get("state").asText().equals("Succeeded"));
    long restarted = Long.parseLong(Files.readString(dir.resolve("replicas").resolve(serviceId).resolve(replica).resolve("pid")).strip());
    assertThat(restarted).isNotEqualTo(pid);
    assertThat(back.get("replicas").get(0).get("id").asText()).isEqualTo(replica);
    // The app's connection follows the replica to its new port as the service comes back, before any call.
    List<String> now = List.of(back.get("ipAddress").asText() + ":" + back.get("port").asInt());
    TestApp.await("the app's connection to phoenix at " + now, DEPLOY, () -> App.get().connections().existing("phoenix")
        .filter(c -> c.client() != null && c.service().readyAddresses().equals(now)).orElse(null));
    String key = app.get("/api/services/phoenix/keys").body().get("primaryKey").asText();
    try (PredictionClient client = client(back, key)) {
      assertThat(client.predictImages(List.of(TestImages.jpeg())).getOutputsCount()).isEqualTo(1);
    }
    delete("phoenix");
  }

  @Test
  void update_movesToAnotherModelWithNewReplicasAndStopsTheOldOnes() throws Exception {
    finished(app.createService(Map.of("name", "moving", "modelId", model, "computeType", "CPU")));
    JsonNode before = service("moving");
    int oldPort = before.get("port").asInt();

    TestApp.Answer accepted = app.put("/api/services/moving", Map.of("modelId", otherModel));
    assertThat(accepted.status()).as(accepted.text()).isEqualTo(202);
    assertThat(finished("/api/operations/" + accepted.body().get("id").asText()).get("state").asText()).isEqualTo("Succeeded");

    JsonNode after = service("moving");
    assertThat(after.get("modelId").asText()).isEqualTo(otherModel);
    assertThat(after.get("replicas").get(0).get("id").asText()).isNotEqualTo(before.get("replicas").get(0).get("id").asText());
    assertThat(listening(oldPort)).as("the old replica stopped").isFalse();
    String key = app.get("/api/services/moving/keys").body().get("primaryKey").asText();
    try (PredictionClient client = client(after, key)) {
      assertThat(client.labels()).contains("one");
    }
    delete("moving");
  }

  /** Puts a finished operation's row back as a host that stopped during {@code step} left it: running, at that step. */
  private static void backAtStep(String operationId, String step) {
    var operations = app.storage().table(StorageLayout.OPERATIONS_TABLE);
    TableEntity row = operations.getEntity("operations", operationId);
    row.addProperty("State", "Running").addProperty("Step", step).addProperty("EndTime", null);
    operations.updateEntity(row, TableEntityUpdateMode.REPLACE);
  }

  /** The steps a supervisor a minute ahead sends again (every unfinished operation looks stalled to it). */
  private static List<String> resentBySupervisor() {
    return App.get().supervisor().withClock(Clock.offset(Clock.systemUTC(), Duration.ofMinutes(1))).supervise().resent();
  }

  @Test
  void hostStoppedAfterFinalizeReleasedTheService_theOperationStillSucceedsWithItsEvent_thoughAnUpdateTookIt()
      throws Exception {
    String created = app.createService(Map.of("name", "released", "modelId", model, "computeType", "CPU"));
    assertThat(finished(created).get("state").asText()).isEqualTo("Succeeded");
    String operationId = created.substring(created.lastIndexOf('/') + 1);
    // What a host stopped between Finalize's writes leaves: the service idle, its operation still at Finalize.
    backAtStep(operationId, "Finalize");
    // An update takes the service before the supervisor sends the lost step again.
    TestApp.Answer update = app.put("/api/services/released", Map.of("numReplicas", 2));
    assertThat(update.status()).as(update.text()).isEqualTo(202);
    assertThat(resentBySupervisor()).contains(operationId + " Finalize");

    JsonNode done = finished(created);

    assertThat(done.get("state").asText()).as("not Cancelled: its step had done its work; " + done).isEqualTo("Succeeded");
    assertThat(TestApp.events("RealtimeAI.ServiceDeployed", "/services/released"))
        .filteredOn(e -> e.event().data().get("operationId").asText().equals(operationId)).hasSize(1);
    assertThat(finished("/api/operations/" + update.body().get("id").asText()).get("state").asText())
        .isEqualTo("Succeeded");
    delete("released");
  }

  @Test
  void hostStoppedAfterFailReleasedTheService_theOperationStillEndsFailedWithItsError_thoughADeleteTookIt()
      throws Exception {
    String created = app.createService(Map.of("name", "released-failed", "modelId", model, "computeType", "GPU"));
    assertThat(finished(created).get("state").asText()).isEqualTo("Failed");
    String operationId = created.substring(created.lastIndexOf('/') + 1);
    backAtStep(operationId, "Fail");
    TestApp.Answer deleting = app.delete("/api/services/released-failed");
    assertThat(deleting.status()).as(deleting.text()).isEqualTo(202);
    assertThat(resentBySupervisor()).contains(operationId + " Fail");

    JsonNode done = finished(created);

    assertThat(done.get("state").asText()).as("not Cancelled: its step had done its work; " + done).isEqualTo("Failed");
    assertThat(done.at("/error/code").asText()).isEqualTo("RuntimeFailed");
    assertThat(TestApp.events("RealtimeAI.ServiceDeploymentFailed", "/services/released-failed")).hasSize(1);
    assertThat(finished("/api/operations/" + deleting.body().get("id").asText()).get("state").asText())
        .isEqualTo("Succeeded");
  }

  @Test
  void deleteOfAServiceWithARowGoneAlready_removesWhatIsLeft() throws Exception {
    assertThat(finished(app.createService(Map.of("name", "half-kept", "modelId", model, "computeType", "CPU")))
        .get("state").asText()).isEqualTo("Succeeded");
    String id = service("half-kept").get("id").asText();
    // The name's row gone (the removal's transaction then fails as a whole); the service's own row stays.
    app.storage().table(StorageLayout.SERVICES_TABLE).deleteEntity("services", "name:half-kept");

    TestApp.Answer accepted = app.delete("/api/services/" + id);
    assertThat(accepted.status()).as(accepted.text()).isEqualTo(202);
    assertThat(finished("/api/operations/" + accepted.body().get("id").asText()).get("state").asText())
        .isEqualTo("Succeeded");

    assertThat(app.get("/api/services/" + id).status()).isEqualTo(404);
  }

  @Test
  void deletingAModelADeployedServiceRuns_isAConflict() throws Exception {
    finished(app.createService(Map.of("name", "in-use", "modelId", model, "computeType", "CPU")));

    TestApp.Answer refused = app.delete("/api/models/" + model);

    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.body().at("/error/message").asText()).contains("in-use");
    delete("in-use");
  }

  @Test
  void quotaExceeded_isAConflictSayingHowMuchIsInUse() throws Exception {
    assertError(app.post("/api/services", Map.of("name", "greedy", "modelId", model, "computeType", "FPGA", "numReplicas", 5)),
        409, "needs 5 accelerator replica(s) but 0 of 4 are in use");
    assertThat(app.post("/api/services", Map.of("name", "greedy", "modelId", model, "numReplicas", 5)).body()
        .at("/error/code").asText()).isEqualTo("QuotaExceeded");
  }

  @Test
  void badRequests_areAnsweredWithTheirReason() throws Exception {
    assertError(app.post("/api/services", Map.of("name", "tls", "modelId", model, "sslEnabled", true)), 400,
        "sslEnabled: true needs both sslCertificate and sslKey");
    TestCertificates.Pem pem = TestCertificates.selfSigned(dir.resolve("tls"));
    assertError(app.post("/api/services", Map.of("name", "tls", "modelId", model, "sslEnabled", true,
        "sslCertificate", Files.readString(pem.certificate()))), 400, "needs both sslCertificate and sslKey");
    assertError(app.post("/api/services", Map.of("name", "Not_DNS", "modelId", model)), 400, "must be DNS-safe");
    assertError(app.post("/api/services", Map.of("name", "svc-0123456789", "modelId", model)), 400,
        "has the form of a service id");
    assertError(app.post("/api/services", Map.of("name", "nomodel", "modelId", "absent:1")), 400, "model 'absent:1' does not exist");
    assertError(app.post("/api/services", Map.of("name", "zero", "modelId", model, "numReplicas", 0)), 400,
        "numReplicas: must be from 1 to 16, got 0");
    assertError(app.post("/api/services", Map.of("name", "cpu2", "modelId", model, "computeType", "TPU")), 400,
        "computeType: 'TPU' is not one of FPGA, GPU, CPU");
    assertError(app.get("/api/operations/no-such-operation"), 404, "operation 'no-such-operation' does not exist");
    assertError(app.get("/api/services/no-such-service"), 404, "service 'no-such-service' does not exist");
  }

  @Test
  void aServiceNameIsUnique() throws Exception {
    String operation = app.createService(Map.of("name", "twin", "modelId", model, "computeType", "CPU"));

    assertError(app.post("/api/services", Map.of("name", "twin", "modelId", model, "computeType", "CPU")), 409,
        "service name 'twin' is in use");
    JsonNode listed = app.get("/api/services?top=50").body();
    assertThat(listed.get("value")).extracting(s -> s.get("name").asText()).contains("twin");
    assertThat(app.get("/api/services?top=1").body().get("value")).hasSize(1);
    assertError(app.get("/api/services?top=0"), 400, "top: must be a whole number from 1 to 1000");

    finished(operation);
    delete("twin");
  }

  @Test
  void aNameThatLooksLikeAnId_isFoundByNameAndTheServiceByItsId() throws Exception {
    String operation = app.createService(Map.of("name", "svc-named", "modelId", model, "computeType", "CPU"));

    JsonNode byName = service("svc-named");
    JsonNode byId = service(byName.get("id").asText());

    assertThat(byName.get("name").asText()).isEqualTo("svc-named");
    assertThat(byName.get("id").asText()).startsWith("svc-").isNotEqualTo("svc-named");
    assertThat(byId.get("name").asText()).isEqualTo("svc-named");
    assertError(app.get("/api/services/svc-0000000000"), 404, "service 'svc-0000000000' does not exist");
    finished(operation);
    delete("svc-named");
  }

  @Test
  void tlsService_servesClientsThatTrustItsCertificate() throws Exception {
    TestCertificates.Pem pem = TestCertificates.selfSigned(dir.resolve("tls-ok"));
    finished(app.createService(Map.of("name", "secure", "modelId", model, "computeType", "CPU", "sslEnabled", true,
        "sslCertificate", Files.readString(pem.certificate()), "sslKey", Files.readString(pem.key()))));
    JsonNode service = service("secure");
    assertThat(service.get("sslEnabled").asBoolean()).isTrue();
    String key = app.get("/api/services/secure/keys").body().get("primaryKey").asText();
    try (PredictionClient client = PredictionClient.builder("localhost:" + service.get("port").asInt())
        .trustCertificate(pem.certificate()).key(key).build()) {
      assertThat(client.predictImages(List.of(TestImages.jpeg())).getOutputsCount()).isEqualTo(1);
    }
    delete("secure");
  }

  private static void assertError(TestApp.Answer answer, int status, String message) {
    assertThat(answer.status()).as(answer.text()).isEqualTo(status);
    assertThat(answer.body().at("/error/message").asText()).contains(message);
  }

  private static boolean listening(int port) {
    try (Socket ignored = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
