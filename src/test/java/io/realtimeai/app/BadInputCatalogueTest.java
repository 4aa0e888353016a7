package io.realtimeai.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.storage.queue.QueueClientBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.realtimeai.cli.Main;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.proto.serving.ModelSpec;
import io.realtimeai.proto.serving.PredictRequest;
import io.realtimeai.proto.tensorflow.DataType;
import io.realtimeai.proto.tensorflow.TensorProto;
import io.realtimeai.runtime.TensorProtos;
import io.realtimeai.scoring.ScoreResult;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestApp;
import io.realtimeai.testing.TestImages;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad-input catalogue: every entry point (HTTP, gRPC, blob drops, queue messages, command line)
 * given inputs it must refuse, each answer checked to be a named 4xx / {@code INVALID_ARGUMENT} (or
 * the entry point's documented equivalent: a {@code Rejected} upload, a {@code Failed} result, a
 * poisoned message with its reason, exit code 2) whose message names the problem, then one good
 * call per entry point to show the stack still serves. The answers are the README's table (between
 * {@code <!-- bad-input-catalogue:start -->} and {@code :end -->}): {@code -Dcatalogue.write=true}
 * writes it, otherwise a README that differs fails the test.
 */
@Tag("integration")
class BadInputCatalogueTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Duration SETTLE = Duration.ofSeconds(120);
  private static final String START = "<!-- bad-input-catalogue:start -->";
  private static final String END = "<!-- bad-input-catalogue:end -->";
  private static final String BOUNDARY = "catalogue-boundary";

  @TempDir static Path dir;
  static TestApp app;
  static String tinyModel;
  static String vectorModel;

  /** One bad input: where it went, what it was, the answer (status or code) and its message. */
  record Entry(String entryPoint, String tried, String answer, String message) {}

  private final List<Entry> entries = new ArrayList<>();
  // Every answer is checked, and every mismatch reported at the end, not only the first.
  private final SoftAssertions softly = new SoftAssertions();

  @BeforeAll
  static void start() throws Exception {
    app = TestApp.start(azurite, dir, TestApp.localReplicas(dir, "UPLOAD_PENDING_LIMIT_SECONDS", "3", "UPLOAD_RECHECK_SECONDS", "1"));
    tinyModel = app.register("tiny", ModelFolders.tinyClassifier(dir.resolve("tiny")), dir);
    vectorModel = app.register("vector", ModelFolders.tinyVector(dir.resolve("vector")), dir);
    List<String> operations = List.of(
        app.createService(Map.of("name", "tiny", "modelId", tinyModel, "computeType", "CPU")),
        app.createService(Map.of("name", "vector", "modelId", vectorModel, "computeType", "CPU")));
    for (String operation : operations) {
      JsonNode done = app.awaitJson(operation, SETTLE, b -> !List.of("NotStarted", "Running").contains(b.get("state").asText()));
      assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("Succeeded");
    }
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
  }

  @Test
  void everyBadInput_isRefusedByNameAndEveryEntryPointStillServes() throws Exception {
    // Queue messages are retried (5 dequeues, 5 s apart) before they are poisoned: send them first.
    Map<String, String[]> queued = sendBadQueueMessages();
    Map<String, String[]> uploads = dropBadModelUploads();
    Map<String, String[]> images = dropBadImages();

    http();
    grpc();
    commandLine();
    settleUploads(uploads);
    settleImages(images);
    settlePoison(queued);

    softly.assertAll();
    stillServes();
    checkCatalogue();
  }

  // ---------------------------------------------------------------- HTTP

  private void http() throws Exception {
    byte[] jpeg = TestImages.jpeg();
    String score = "/api/services/tiny/score?persist=false";
    expect("HTTP", "score: no body", post(score, null, new byte[0]), 400, "no image in the request");
    expect("HTTP", "score: text without a Content-Type", post(score, null, bytes("hello")), 415, "is not a JPEG, PNG, BMP or GIF image");
    expect("HTTP", "score: Content-Type text/plain", post(score, "text/plain", bytes("hello")), 415, "Content-Type 'text/plain' is not accepted");
    expect("HTTP", "score: Content-Type application/xml", post(score, "application/xml", bytes("<a/>")), 415, "Content-Type 'application/xml' is not accepted");
    expect("HTTP", "score: image/jpeg that is not an image", post(score, "image/jpeg", bytes("not a jpeg")), 422, "not a JPEG, PNG, BMP or GIF image");
    expect("HTTP", "score: truncated JPEG", post(score, "image/jpeg", TestImages.truncatedJpeg()), 422, "truncated or corrupt JPEG");
    expect("HTTP", "score: PNG header claiming 100000×100000", post(score, "image/png", TestImages.pngHeaderClaiming(100_000, 100_000)), 422, "above the");
    expect("HTTP", "score: empty image/png body", post(score, "image/png", new byte[0]), 400, "no image in the request");
    expect("HTTP", "score: 65 MiB body", post(score, "image/jpeg", Arrays.copyOf(jpeg, 65 << 20)), 413, "above the");
    expect("HTTP", "score: multipart without a boundary", post(score, "multipart/form-data", bytes("--x\r\n")), 400, "boundary");
    expect("HTTP", "score: multipart boundary of 100 characters", post(score, "multipart/form-data; boundary=" + "b".repeat(100), bytes("--x\r\n")), 400, "at most 70");
    expect("HTTP", "score: multipart with another boundary", post(score, "multipart/form-data; boundary=" + BOUNDARY, bytes("--other\r\n\r\nx\r\n--other--\r\n")), 400, null);
    expect("HTTP", "score: multipart with a text field only", post(score, "multipart/form-data; boundary=" + BOUNDARY,
        form(Map.of("note", bytes("just text")), false)), 400, "no file part");
    expect("HTTP", "score: multipart whose file is not an image", post(score, "multipart/form-data; boundary=" + BOUNDARY,
        form(Map.of("image", bytes("not an image")), true)), 422, "not a JPEG, PNG, BMP or GIF image");
    expect("HTTP", "score: multipart cut off mid-part", post(score, "multipart/form-data; boundary=" + BOUNDARY,
        Arrays.copyOf(form(Map.of("image", jpeg), true), 200)), 400, null);
    expect("HTTP", "score: JSON that does not parse", post(score, "application/json", bytes("{\"images\": [")), 400, "invalid JSON");
    expect("HTTP", "score: JSON without images", post(score, "application/json", bytes("{\"pictures\": []}")), 400, "images");
    expect("HTTP", "score: JSON images not a list", post(score, "application/json", bytes("{\"images\": \"abc\"}")), 400, "images");
    expect("HTTP", "score: JSON images empty", post(score, "application/json", bytes("{\"images\": []}")), 400, "no image in the request");
    expect("HTTP", "score: JSON image a number of 1,001 digits", post(score, "application/json", bytes("{\"images\": [1" + "0".repeat(1000) + "]}")), 400, "Number value length (1001)");
    expect("HTTP", "score: JSON image not base64", post(score, "application/json", bytes("{\"images\": [\"@@@\"]}")), 400, "base64");
    expect("HTTP", "score: JSON image a number", post(score, "application/json", bytes("{\"images\": [42]}")), 400, "images");
    expect("HTTP", "score: JSON base64 of text", post(score, "application/json", json(Map.of("images", List.of(b64(bytes("text")))))), 422, "not a JPEG, PNG, BMP or GIF image");
    expect("HTTP", "score: JSON with 65 images", post(score, "application/json", json(Map.of("images", Collections.nCopies(65, b64(jpeg))))), 400, "at most 64 images per call");
    expect("HTTP", "score: JSON array body", post(score, "application/json", bytes("[1, 2]")), 400, null);
    expect("HTTP", "score: top=0", post("/api/services/tiny/score?top=0", "image/jpeg", jpeg), 400, "top: must be a whole number from 1 to 100");
    expect("HTTP", "score: top=101", post("/api/services/tiny/score?top=101", "image/jpeg", jpeg), 400, "top: must be a whole number from 1 to 100");
    expect("HTTP", "score: top=abc", post("/api/services/tiny/score?top=abc", "image/jpeg", jpeg), 400, "top: must be a whole number from 1 to 100");
    expect("HTTP", "score: persist=maybe", post("/api/services/tiny/score?persist=maybe", "image/jpeg", jpeg), 400, "persist: must be true or false");
    expect("HTTP", "score: unknown service", post("/api/services/ghost/score", "image/jpeg", jpeg), 404, "service 'ghost' does not exist");
    expect("HTTP", "score: an image for a tensor model", post("/api/services/vector/score?persist=false", "image/jpeg", jpeg), 422, "is not an input of this model");
    expect("HTTP", "score: GET instead of POST", send("GET", "/api/services/tiny/score", null, null), 405, null);

    expect("HTTP", "register: invalid JSON", post("/api/models", "application/json", bytes("{\"name\": ")), 400, "body: invalid JSON at line 1");
    expect("HTTP", "register: empty body", post("/api/models", "application/json", new byte[0]), 400, null);
    expect("HTTP", "register: unknown field", post("/api/models", "application/json", bytes("{\"name\": \"x\", \"blobpath\": 1}")), 400, "body: unknown field 'blobpath'");
    expect("HTTP", "register: neither url nor blobPath", post("/api/models", "application/json", json(Map.of("name", "x"))), 400, "url, blobPath");
    expect("HTTP", "register: url and blobPath", post("/api/models", "application/json", json(Map.of("name", "x", "blobPath", "a/b.zip", "url", "http://h/x.zip"))), 400, "url, blobPath: give exactly one");
    expect("HTTP", "register: ftp url", post("/api/models", "application/json", json(Map.of("name", "x", "url", "ftp://h/x.zip"))), 400, "must be http or https");
    expect("HTTP", "register: blob that does not exist", post("/api/models", "application/json", json(Map.of("name", "x", "blobPath", "incoming/absent.zip"))), 404, "does not exist");
    expect("HTTP", "register: blobPath in a container named Models_2", post("/api/models", "application/json", json(Map.of("name", "x", "blobPath", "Models_2/a.zip"))), 400, "'Models_2' is not a container name");
    expect("HTTP", "register: name with a space", post("/api/models", "application/json", json(Map.of("name", "bad name", "blobPath", "incoming/a.zip"))), 400, "model name 'bad name'");
    expect("HTTP", "register: mimeType image/png", post("/api/models", "application/json", json(Map.of("name", "x", "blobPath", "incoming/x.zip", "mimeType", "image/png"))), 415, "mimeType: 'image/png' is not a model package");
    expect("HTTP", "register: name an object", post("/api/models", "application/json", bytes("{\"name\": {\"a\": 1}, \"blobPath\": \"incoming/a.zip\"}")), 400, "name");
    expect("HTTP", "register: tags not an object", post("/api/models", "application/json", bytes("{\"name\": \"x\", \"blobPath\": \"incoming/a.zip\", \"tags\": [1]}")), 400, "tags");
    app.drop("incoming", "not-a-package.zip", bytes("plain text"));
    expect("HTTP", "register: a blob that is not a zip", post("/api/models", "application/json", json(Map.of("name", "x", "blobPath", "incoming/not-a-package.zip"))), 400, "not a readable zip file");
    expect("HTTP", "models: unknown id", send("GET", "/api/models/nothing:3", null, null), 404, "model 'nothing:3' does not exist");
    expect("HTTP", "models: top=0", send("GET", "/api/models?top=0", null, null), 400, "top: must be a whole number from 1 to 1000");
    expect("HTTP", "models: update with nothing to change", send("PATCH", "/api/models/tiny:1", "application/json", bytes("{}")), 400, "give description and/or tags");
    expect("HTTP", "models: update an unknown model", send("PATCH", "/api/models/nothing:1", "application/json", bytes("{\"description\": \"d\"}")), 404, "does not exist");
    expect("HTTP", "models: delete a model a service runs", send("DELETE", "/api/models/" + tinyModel, null, null), 409, null);
    expect("HTTP", "models: delete an unknown model", send("DELETE", "/api/models/nothing:1", null, null), 404, "does not exist");
    expect("HTTP", "uploads: unknown upload", send("GET", "/api/uploads/nothing", null, null), 404, "no upload named 'nothing'");

    String services = "/api/services";
    expect("HTTP", "deploy: invalid JSON", post(services, "application/json", bytes("{\"name\": \"x\",")), 400, "invalid JSON");
    expect("HTTP", "deploy: no name", post(services, "application/json", json(Map.of("modelId", tinyModel))), 400, "name");
    expect("HTTP", "deploy: name with a slash", post(services, "application/json", json(Map.of("name", "a/b", "modelId", tinyModel))), 400, "name");
    expect("HTTP", "deploy: no modelId", post(services, "application/json", json(Map.of("name", "s1"))), 400, "modelId");
    expect("HTTP", "deploy: unknown model", post(services, "application/json", json(Map.of("name", "s1", "modelId", "nothing:1"))), 400, "modelId: model 'nothing:1' does not exist");
    expect("HTTP", "deploy: computeType TPU", post(services, "application/json", json(Map.of("name", "s1", "modelId", tinyModel, "computeType", "TPU"))), 400, "computeType");
    expect("HTTP", "deploy: numReplicas 0", post(services, "application/json", json(Map.of("name", "s1", "modelId", tinyModel, "numReplicas", 0))), 400, "numReplicas");
    expect("HTTP", "deploy: numReplicas 1000", post(services, "application/json", json(Map.of("name", "s1", "modelId", tinyModel, "numReplicas", 1000))), 400, "numReplicas");
    expect("HTTP", "deploy: numReplicas \"two\"", post(services, "application/json", bytes("{\"name\": \"s1\", \"modelId\": \"" + tinyModel + "\", \"numReplicas\": \"two\"}")), 400, "numReplicas");
    expect("HTTP", "deploy: numReplicas of 1,001 digits", post(services, "application/json", bytes("{\"name\": \"s1\", \"modelId\": \"" + tinyModel + "\", \"numReplicas\": 1" + "0".repeat(1000) + "}")), 400, "1000");
    expect("HTTP", "deploy: a key with a line break", post(services, "application/json", json(Map.of("name", "s1", "modelId", tinyModel,
        "keys", Map.of("primaryKey", "first\nsecond", "secondaryKey", "other")))), 400, "keys.primaryKey");
    expect("HTTP", "deploy: a PEM certificate with nothing valid in it", post(services, "application/json", json(Map.of("name", "s1", "modelId", tinyModel,
        "sslEnabled", true, "sslCertificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        "sslKey", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))), 400, "sslCertificate");
    String certificate = Files.readString(io.realtimeai.testing.TestCertificates.selfSigned(dir.resolve("tls")).certificate());
    expect("HTTP", "deploy: a certificate with a PEM key that holds no key", post(services, "application/json", json(Map.of("name", "s1", "modelId", tinyModel,
        "sslEnabled", true, "sslCertificate", certificate, "sslKey", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))), 400, "sslKey");
    expect("HTTP", "deploy: sslEnabled without a certificate", post(services, "application/json", json(Map.of("name", "s1", "modelId", tinyModel, "sslEnabled", true))), 400, "ssl");
    expect("HTTP", "deploy: unknown field", post(services, "application/json", bytes("{\"name\": \"s1\", \"modelId\": \"" + tinyModel + "\", \"replicas\": 2}")), 400, "replicas");
    expect("HTTP", "deploy: a name already deployed", post(services, "application/json", json(Map.of("name", "tiny", "modelId", tinyModel))), 409, "tiny");
    expect("HTTP", "services: unknown service", send("GET", "/api/services/ghost", null, null), 404, "service 'ghost' does not exist");
    expect("HTTP", "services: update an unknown service", send("PUT", "/api/services/ghost", "application/json", json(Map.of("numReplicas", 2))), 404, "service 'ghost' does not exist");
    expect("HTTP", "services: update with numReplicas -1", send("PUT", "/api/services/tiny", "application/json", json(Map.of("numReplicas", -1))), 400, "numReplicas");
    expect("HTTP", "services: delete an unknown service", send("DELETE", "/api/services/ghost", null, null), 404, "service 'ghost' does not exist");
    expect("HTTP", "services: keys of an unknown service", send("GET", "/api/services/ghost/keys", null, null), 404, "service 'ghost' does not exist");
    expect("HTTP", "services: regenerate keyType Tertiary", post("/api/services/tiny/regenerateKeys", "application/json", json(Map.of("keyType", "Tertiary"))), 400, "keyType");
    expect("HTTP", "services: regenerate without keyType", post("/api/services/tiny/regenerateKeys", "application/json", bytes("{}")), 400, "keyType");
    expect("HTTP", "operations: unknown operation", send("GET", "/api/operations/nothing", null, null), 404, "nothing");
    expect("HTTP", "results: unknown result", send("GET", "/api/results/tiny/nothing.jpg", null, null), 404, "nothing.jpg");
    expect("HTTP", "results: list without a service", send("GET", "/api/results", null, null), 400, "service");
    expect("HTTP", "results: top=-1", send("GET", "/api/results?service=tiny&top=-1", null, null), 400, "top");
    expect("HTTP", "accelerated-models: unknown entry", send("GET", "/api/accelerated-models/none/1", null, null), 404, "none");
    expect("HTTP", "events: top=abc", send("GET", "/api/events?top=abc", null, null), 400, "top");
    expect("HTTP", "unknown route", send("GET", "/api/nothing/here", null, null), 404, null);
    expect("HTTP", "DELETE on the model list", send("DELETE", "/api/models", null, null), 405, null);
    expect("HTTP", "console: a path escaping its folder", send("GET", "/api/console/..%2F..%2Fpom.xml", null, null), 400, "is not a console file");
  }

  // ---------------------------------------------------------------- gRPC

  private void grpc() throws Exception {
    JsonNode tiny = app.get("/api/services/tiny").body();
    JsonNode vector = app.get("/api/services/vector").body();
    String tinyKey = app.get("/api/services/tiny/keys").body().get("primaryKey").asText();
    String vectorKey = app.get("/api/services/vector/keys").body().get("primaryKey").asText();
    try (PredictionClient images = client(tiny, tinyKey); PredictionClient tensors = client(vector, vectorKey);
        PredictionClient keyless = client(tiny, null); PredictionClient wrongKey = client(tiny, "not-the-key")) {
      byte[] jpeg = TestImages.jpeg();
      expect("gRPC", "Predict without a key", () -> keyless.predictImages(List.of(jpeg)), "UNAUTHENTICATED", null);
      expect("gRPC", "Predict with a wrong key", () -> wrongKey.predictImages(List.of(jpeg)), "UNAUTHENTICATED", null);
      expect("gRPC", "Predict with no inputs", () -> images.predict(request(Map.of())), "INVALID_ARGUMENT", null);
      expect("gRPC", "Predict under an unknown input name", () -> images.predict(request(Map.of("pictures", strings(jpeg)))), "INVALID_ARGUMENT", "pictures");
      expect("gRPC", "Predict images as DT_FLOAT", () -> images.predict(request(Map.of("images", floats(new long[] {1, 4}, 1, 2, 3, 4)))), "INVALID_ARGUMENT", "input 'images'");
      expect("gRPC", "Predict with an empty string_val", () -> images.predict(request(Map.of("images", strings()))), "INVALID_ARGUMENT", "input 'images'");
      expect("gRPC", "Predict bytes that are not an image", () -> images.predict(request(Map.of("images", strings(bytes("text")))) ), "INVALID_ARGUMENT", "input 'images'");
      expect("gRPC", "Predict a truncated JPEG", () -> images.predict(request(Map.of("images", strings(TestImages.truncatedJpeg())))), "INVALID_ARGUMENT", "truncated or corrupt JPEG");
      expect("gRPC", "Predict a PNG header claiming 100000×100000", () -> images.predict(request(Map.of("images", strings(TestImages.pngHeaderClaiming(100_000, 100_000))))), "INVALID_ARGUMENT", "above the");
      expect("gRPC", "Predict an empty image", () -> images.predict(request(Map.of("images", strings(new byte[0])))), "INVALID_ARGUMENT", "empty image");
      expect("gRPC", "Predict shape [3] with one image", () -> images.predict(request(Map.of("images", strings(jpeg).toBuilder()
          .setTensorShape(TensorProtos.shapeProto(new long[] {3})).build()))), "INVALID_ARGUMENT", "does not match its 1 string_val entries");
      expect("gRPC", "Predict images shape overflowing a long", () -> images.predict(request(Map.of("images", strings(jpeg).toBuilder()
          .setTensorShape(TensorProtos.shapeProto(new long[] {1L << 40, 1L << 40})).build()))), "INVALID_ARGUMENT", "is too large");
      expect("gRPC", "Predict 65 images", () -> images.predict(request(Map.of("images", strings(Collections.nCopies(65, jpeg).toArray(byte[][]::new))))), "INVALID_ARGUMENT", null);
      expect("gRPC", "Predict an unknown output_filter", () -> images.predict(request(Map.of("images", strings(jpeg))).toBuilder().addOutputFilter("nope").build()), "INVALID_ARGUMENT", "nope");
      expect("gRPC", "Predict a tensor with the wrong dtype", () -> tensors.predict(request(Map.of("x", TensorProto.newBuilder().setDtype(DataType.DT_INT32)
          .setTensorShape(TensorProtos.shapeProto(new long[] {1, 4})).addAllIntVal(List.of(1, 2, 3, 4)).build()))), "INVALID_ARGUMENT", "input 'x': dtype DT_INT32");
      expect("gRPC", "Predict a tensor of the wrong shape", () -> tensors.predict(request(Map.of("x", floats(new long[] {1, 5}, 1, 2, 3, 4, 5)))), "INVALID_ARGUMENT", "input 'x': shape [1, 5]");
      expect("gRPC", "Predict tensor_content of the wrong length", () -> tensors.predict(request(Map.of("x", content(new long[] {1, 4}, 12)))), "INVALID_ARGUMENT", "tensor_content holds 12 bytes");
      expect("gRPC", "Predict float_val count not matching the shape", () -> tensors.predict(request(Map.of("x", floats(new long[] {2, 4}, 1, 2, 3)))), "INVALID_ARGUMENT", "holds 3 values");
      expect("gRPC", "Predict a tensor without tensor_shape", () -> tensors.predict(request(Map.of("x", TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).addFloatVal(1).build()))), "INVALID_ARGUMENT", "tensor_shape is required");
      expect("gRPC", "Predict a shape with an unknown dimension", () -> tensors.predict(request(Map.of("x", floats(new long[] {-1, 4}, 1, 2, 3, 4)))), "INVALID_ARGUMENT", "unknown dimensions");
      expect("gRPC", "Predict a tensor shape overflowing a long", () -> tensors.predict(request(Map.of("x", floats(new long[] {1L << 40, 1L << 40})))), "INVALID_ARGUMENT", "is too large");
      expect("gRPC", "Predict DT_STRING for a tensor model", () -> tensors.predict(request(Map.of("x", strings(jpeg)))), "INVALID_ARGUMENT", "input 'x'");
      expect("gRPC", "Predict a 3 GiB declared tensor", () -> tensors.predict(request(Map.of("x", floats(new long[] {1L << 28, 4})))), "INVALID_ARGUMENT", "is too large");
      expect("gRPC", "GetModelMetadata of an unknown field", () -> images.metadata("nope"), "INVALID_ARGUMENT", "nope");
    }
  }

  private static PredictionClient client(JsonNode service, String key) {
    PredictionClient.Builder builder = PredictionClient.builder(service.get("ipAddress").asText() + ":" + service.get("port").asInt())
        .maxAttempts(1);
    return (key == null ? builder : builder.key(key)).build();
  }

  private static PredictRequest request(Map<String, TensorProto> inputs) {
    return PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName("catalogue")).putAllInputs(inputs).build();
  }

  private static TensorProto strings(byte[]... values) {
    TensorProto.Builder builder = TensorProto.newBuilder().setDtype(DataType.DT_STRING)
        .setTensorShape(TensorProtos.shapeProto(new long[] {values.length}));
    for (byte[] value : values) {
      builder.addStringVal(ByteString.copyFrom(value));
    }
    return builder.build();
  }

  private static TensorProto floats(long[] shape, float... values) {
    TensorProto.Builder builder = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(TensorProtos.shapeProto(shape));
    for (float value : values) {
      builder.addFloatVal(value);
    }
    return builder.build();
  }

  private static TensorProto content(long[] shape, int bytes) {
    return TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(TensorProtos.shapeProto(shape))
        .setTensorContent(ByteString.copyFrom(new byte[bytes])).build();
  }

  // ---------------------------------------------------------------- blob drops: model uploads

  private Map<String, String[]> dropBadModelUploads() throws IOException {
    byte[] tiny = Files.readAllBytes(dir.resolve("tiny/tiny.onnx"));
    String image = ModelFolders.IMAGE_STAGE;
    byte[] good = bytes("{\"pipeline\": [" + image + ", {\"type\": \"onnx\", \"model_path\": \"tiny.onnx\"}]}");
    Map<String, Object[]> drops = new LinkedHashMap<>();
    drops.put("text.zip", new Object[] {"a text file named .zip", bytes("not a zip")});
    byte[] zip = zip(Map.of("service_def.json", good, "tiny.onnx", tiny));
    drops.put("truncated.zip", new Object[] {"a zip cut in half", Arrays.copyOf(zip, zip.length / 2)});
    drops.put("nodef.zip", new Object[] {"a zip without service_def.json", zip(Map.of("tiny.onnx", tiny))});
    drops.put("nested.zip", new Object[] {"a zip of the folder, not its contents", zip(Map.of("model/service_def.json", good, "model/tiny.onnx", tiny))});
    drops.put("escape.zip", new Object[] {"an entry escaping the root (../evil.onnx)", zip(Map.of("service_def.json", good, "tiny.onnx", tiny, "../evil.onnx", tiny))});
    drops.put("badjson.zip", new Object[] {"service_def.json that does not parse", zip(Map.of("service_def.json", bytes("{\"pipeline\": [,]}"), "tiny.onnx", tiny))});
    drops.put("emptydef.zip", new Object[] {"an empty service_def.json", zip(Map.of("service_def.json", new byte[0], "tiny.onnx", tiny))});
    drops.put("stagetype.zip", new Object[] {"an unknown stage type", zip(Map.of("service_def.json", bytes("{\"pipeline\": [{\"type\": \"caffe\"}]}")))});
    drops.put("nopipeline.zip", new Object[] {"a definition without a pipeline", zip(Map.of("service_def.json", bytes("{\"labels\": \"labels.txt\"}")))});
    drops.put("missing.zip", new Object[] {"a model file the zip lacks", zip(Map.of("service_def.json", good))});
    drops.put("notonnx.zip", new Object[] {"a model file that is not ONNX", zip(Map.of("service_def.json", good, "tiny.onnx", bytes("not onnx")))});
    drops.put("badsize.zip", new Object[] {"an image stage of size [0, 224]", zip(Map.of("service_def.json",
        bytes("{\"pipeline\": [{\"type\": \"image\", \"size\": [0, 224]}, {\"type\": \"onnx\", \"model_path\": \"tiny.onnx\"}]}"), "tiny.onnx", tiny))});
    drops.put("nolabels.zip", new Object[] {"a labels file the zip lacks", zip(Map.of("service_def.json",
        bytes("{\"pipeline\": [" + image + ", {\"type\": \"onnx\", \"model_path\": \"tiny.onnx\"}], \"labels\": \"labels.txt\"}"), "tiny.onnx", tiny))});
    drops.put("notes.txt", new Object[] {"a file that is not a package (notes.txt)", bytes("hello")});
    Map<String, String[]> uploads = new LinkedHashMap<>();
    drops.forEach((blob, what) -> {
      app.drop(StorageLayout.MODEL_UPLOADS, blob, (byte[]) what[1]);
      uploads.put(blob.substring(0, blob.lastIndexOf('.')), new String[] {(String) what[0]});
    });
    // a folder whose definition names files that never arrive
    app.drop(StorageLayout.MODEL_UPLOADS, "waiting/service_def.json", good);
    uploads.put("waiting", new String[] {"a folder whose model file never arrives"});
    return uploads;
  }

  private void settleUploads(Map<String, String[]> uploads) throws Exception {
    for (Map.Entry<String, String[]> upload : uploads.entrySet()) {
      JsonNode status = TestApp.await("upload " + upload.getKey() + " to settle", SETTLE, () -> {
        TestApp.Answer answer = unchecked(() -> app.get("/api/uploads/" + upload.getKey()));
        return answer.status() == 200 && !"Pending".equals(answer.body().get("state").asText()) ? answer.body() : null;
      });
      entries.add(checked("blob drop: model-uploads", upload.getValue()[0], status.get("state").asText(),
          String.join("; ", JSON.convertValue(status.get("reasons"), String[].class)), "Rejected"));
    }
  }

  // ---------------------------------------------------------------- blob drops: images

  private Map<String, String[]> dropBadImages() {
    Map<String, String[]> images = new LinkedHashMap<>();
    Map<String, Object[]> drops = new LinkedHashMap<>();
    drops.put("tiny/bad/empty.jpg", new Object[] {"an empty file", new byte[0]});
    drops.put("tiny/bad/text.jpg", new Object[] {"a text file named .jpg", bytes("not an image")});
    drops.put("tiny/bad/truncated.jpg", new Object[] {"a truncated JPEG", TestImages.truncatedJpeg()});
    drops.put("tiny/bad/huge.png", new Object[] {"a PNG header claiming 100000×100000", TestImages.pngHeaderClaiming(100_000, 100_000)});
    drops.put("ghost/where.jpg", new Object[] {"an image under an unknown service", TestImages.jpeg()});
    drops.forEach((blob, what) -> {
      app.drop(StorageLayout.IMAGES, blob, (byte[]) what[1]);
      images.put(blob, new String[] {(String) what[0]});
    });
    return images;
  }

  private void settleImages(Map<String, String[]> images) throws Exception {
    for (Map.Entry<String, String[]> image : images.entrySet()) {
      String service = image.getKey().substring(0, image.getKey().indexOf('/'));
      String path = image.getKey().substring(service.length() + 1);
      ScoreResult result = TestApp.await("the result of " + image.getKey(), SETTLE, () -> App.get().results().find(service, path).orElse(null));
      entries.add(checked("blob drop: images", image.getValue()[0], result.status() + " " + result.error().code(),
          result.error().message(), "Failed"));
    }
  }

  // ---------------------------------------------------------------- queue messages

  private Map<String, String[]> sendBadQueueMessages() {
    Map<String, String[]> sent = new LinkedHashMap<>();
    var raw = new QueueClientBuilder().connectionString(azurite.connectionString()).queueName(StorageLayout.SCORING_QUEUE).buildClient();
    app.storage().createQueue(StorageLayout.SCORING_QUEUE);
    raw.sendMessage("not base64 at all!");
    sent.put("not base64 at all!", new String[] {StorageLayout.SCORING_QUEUE, "a message that is not base64"});
    List<String[]> messages = List.of(
        new String[] {StorageLayout.SCORING_QUEUE, "{\"service\": \"tiny\", ", "JSON that does not parse"},
        new String[] {StorageLayout.SCORING_QUEUE, "[1, 2, 3]", "a JSON array"},
        new String[] {StorageLayout.SCORING_QUEUE, "{\"service\": \"tiny\", \"path\": {\"a\": 1}}", "a path that is an object"},
        new String[] {"deployments", "{}", "a step without operationId"},
        new String[] {"deployments", "not json", "text that is not JSON"},
        new String[] {"uploads", "{\"name\": \"\"}", "an upload check without a name"},
        new String[] {"uploads", "{\"name\": [1]}", "an upload check whose name is a list"},
        new String[] {"deployments", "{\"operationId\": \"x\", \"step\": 5, \"attempt\": \"first\"}", "a step whose attempt is text"});
    for (String[] message : messages) {
      app.storage().createQueue(message[0]);
      app.storage().queue(message[0]).sendMessage(message[1]);
      sent.put(message[1], new String[] {message[0], message[2]});
    }
    return sent;
  }

  private void settlePoison(Map<String, String[]> sent) throws Exception {
    Map<String, JsonNode> poisoned = new LinkedHashMap<>();
    TestApp.await("every bad queue message in its poison queue", SETTLE, () -> {
      for (String queue : sent.values().stream().map(v -> v[0]).distinct().toList()) {
        app.storage().createQueue(queue + "-poison");
        app.storage().queue(queue + "-poison").peekMessages(32, null, null).forEach(m -> {
          JsonNode parked = unchecked(() -> JSON.readTree(m.getBody().toString()));
          poisoned.put(parked.get("body").asText(), parked);
        });
      }
      return poisoned.keySet().containsAll(sent.keySet()) ? true : null;
    });
    sent.forEach((body, what) -> {
      JsonNode parked = poisoned.get(body);
      entries.add(checked("queue: " + what[0], what[1], "poisoned after " + parked.get("dequeueCount").asInt() + " tries",
          parked.get("reason").asText(), "poisoned"));
    });
  }

  // ---------------------------------------------------------------- command line

  private void commandLine() throws IOException {
    Path notAFolder = Files.writeString(dir.resolve("file.txt"), "x");
    cli("no command", 2);
    cli("an unknown command", 2, "frobnicate");
    cli("an unknown option", 2, "--colour");
    cli("runtime without --package", 2, "runtime");
    cli("runtime --port abc", 2, "runtime", "--package", notAFolder.toString(), "--port", "abc");
    cli("runtime --port 70000", 2, "runtime", "--package", notAFolder.toString(), "--port", "70000");
    cli("runtime --warm-up-batch 0", 2, "runtime", "--package", notAFolder.toString(), "--warm-up-batch", "0");
    cli("score without --address", 2, "score", notAFolder.toString());
    cli("score --top 0", 2, "score", "--address", "localhost:1", "--top", "0", notAFolder.toString());
    cli("package without a folder", 2, "package");
    cli("generate an unknown model kind", 2, "generate", "nothing", "-o", dir.resolve("x.onnx").toString());
    cli("bench --iterations abc", 2, "bench", "--iterations", "abc");
    cli("bench --soak soon", 2, "bench", "--soak", "soon");
    cli("bench --soak-warm-up -1m", 2, "bench", "--soak", "30m", "--soak-warm-up", "-1m");
  }

  private void cli(String tried, int expected, String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    PrintStream stderr = System.err;
    System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = Main.execute(args);
    } finally {
      System.setOut(stdout);
      System.setErr(stderr);
    }
    String message = err.toString(StandardCharsets.UTF_8).strip();
    String first = message.lines().findFirst().orElse("");
    softly.assertThat(code).as(tried + ": " + message).isEqualTo(expected);
    entries.add(new Entry("command line", "`realtime-ai " + String.join(" ", args).replace(dir.toString(), "DIR") + "`: " + tried,
        "exit " + code, first));
  }

  // ---------------------------------------------------------------- still serving

  private void stillServes() throws Exception {
    TestApp.Answer scored = toAnswer(post("/api/services/tiny/score?persist=false", "image/jpeg", TestImages.jpeg()));
    assertThat(scored.status()).as("HTTP still serves: " + scored.text()).isEqualTo(200);

    JsonNode tiny = app.get("/api/services/tiny").body();
    try (PredictionClient images = client(tiny, app.get("/api/services/tiny/keys").body().get("primaryKey").asText())) {
      assertThat(images.classify(List.of(TestImages.jpeg()), 3).get(0)).as("gRPC still serves").hasSize(3);
    }

    app.drop(StorageLayout.IMAGES, "tiny/good/cat.jpg", TestImages.jpeg());
    ScoreResult result = TestApp.await("the good image's result", SETTLE, () -> App.get().results().find("tiny", "good/cat.jpg").orElse(null));
    assertThat(result.status()).as("image drops still served").isEqualTo("Scored");

    Path zip = dir.resolve("again.zip");
    io.realtimeai.packaging.ModelPackager.pack(ModelFolders.tinyClassifier(dir.resolve("again")), zip, io.realtimeai.pipeline.AcceleratedCatalog.none());
    app.drop(StorageLayout.MODEL_UPLOADS, "again.zip", Files.readAllBytes(zip));
    JsonNode upload = TestApp.await("the good upload to register", SETTLE, () -> {
      TestApp.Answer answer = unchecked(() -> app.get("/api/uploads/again"));
      return answer.status() == 200 && !"Pending".equals(answer.body().get("state").asText()) ? answer.body() : null;
    });
    assertThat(upload.get("state").asText()).as("model uploads still served: " + upload).isEqualTo("Registered");

    // a good queue message: a scoring job for an image that exists is scored (the drop above went this way too)
    assertThat(App.get().results().find("tiny", "good/cat.jpg")).isPresent();

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      assertThat(Main.execute("package", dir.resolve("again").toString(), "-o", dir.resolve("again-cli.zip").toString()))
          .as("the command line still works").isZero();
    } finally {
      System.setOut(stdout);
    }
  }

  // ---------------------------------------------------------------- the catalogue

  private void checkCatalogue() throws IOException {
    assertThat(entries.stream().map(e -> e.entryPoint() + " " + e.tried()).distinct()).as("distinct inputs").hasSize(entries.size());
    assertThat(entries).as("bad inputs tried").hasSizeGreaterThanOrEqualTo(80);
    String table = table();
    Path readme = Path.of("README.md");
    String text = Files.readString(readme);
    int start = text.indexOf(START);
    int end = text.indexOf(END);
    assertThat(start).as("README markers").isNotNegative();
    assertThat(end).as("README markers").isGreaterThan(start);
    String updated = text.substring(0, start + START.length()) + "\n" + table + text.substring(end);
    if (Boolean.getBoolean("catalogue.write")) {
      Files.writeString(readme, updated);
    } else {
      assertThat(text).as("the README's catalogue (regenerate it with -Dcatalogue.write=true)").isEqualTo(updated);
    }
  }

  private String table() {
    Map<String, Long> counts = entries.stream().collect(Collectors.groupingBy(e -> e.entryPoint().replaceAll(":.*", ""),
        LinkedHashMap::new, Collectors.counting()));
    StringBuilder out = new StringBuilder();
    out.append(entries.size()).append(" bad inputs: ")
        .append(counts.entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", ")))
        .append(". Every one answered by name; every entry point served a good call afterwards.\n\n");
    out.append("| # | entry point | tried | answer | message |\n|---|---|---|---|---|\n");
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      out.append("| ").append(i + 1).append(" | ").append(e.entryPoint()).append(" | ").append(cell(e.tried()))
          .append(" | ").append(cell(e.answer())).append(" | ").append(cell(normalised(e.message()))).append(" |\n");
    }
    return out.toString();
  }

  private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  private static final Pattern PORT = Pattern.compile("(localhost|127\\.0\\.0\\.1):\\d+");
  private static final Pattern TIME = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T[0-9:.]+Z");

  /** Ids, ports, times and the temp folder vary from run to run; the table must not. */
  private static String normalised(String message) {
    String m = message.replace(dir.toString(), "DIR");
    m = UUID.matcher(m).replaceAll("{id}");
    m = PORT.matcher(m).replaceAll("$1:{port}");
    m = TIME.matcher(m).replaceAll("{time}");
    return m.length() > 300 ? m.substring(0, 297) + "…" : m;
  }

  private static String cell(String text) {
    return text.replace("|", "\\|").replace("\n", " ").replace("\r", "");
  }

  // ---------------------------------------------------------------- checking one answer

  private void expect(String entryPoint, String tried, HttpResponse<String> response, int status, String fragment) {
    String message = errorMessage(response);
    softly.assertThat(response.statusCode()).as(tried + ": " + response.body()).isEqualTo(status);
    if (status >= 400 && status != 404 && status != 405 || fragment != null) {
      softly.assertThat(message).as(tried + ": a message naming the problem").isNotBlank();
    }
    if (fragment != null) {
      softly.assertThat(message).as(tried).contains(fragment);
    }
    assertNoStackTrace(tried, message);
    entries.add(new Entry(entryPoint, tried, response.statusCode() + " " + errorCode(response), message));
  }

  private void expect(String entryPoint, String tried, Supplier<Object> call, String code, String fragment) {
    try {
      Object answer = call.get();
      softly.fail(tried + ": expected " + code + ", got an answer: " + answer);
    } catch (StatusRuntimeException e) {
      String message = String.valueOf(e.getStatus().getDescription());
      softly.assertThat(e.getStatus().getCode().name()).as(tried + ": " + message).isEqualTo(code);
      softly.assertThat(message).as(tried).isNotBlank().isNotEqualTo("null");
      if (fragment != null) {
        softly.assertThat(message).as(tried).contains(fragment);
      }
      assertNoStackTrace(tried, message);
      entries.add(new Entry(entryPoint, tried, code, message));
    }
  }

  private Entry checked(String entryPoint, String tried, String answer, String message, String expected) {
    softly.assertThat(answer).as(tried + ": " + message).contains(expected);
    softly.assertThat(message).as(tried).isNotBlank();
    assertNoStackTrace(tried, message);
    return new Entry(entryPoint, tried, answer, message);
  }

  private void assertNoStackTrace(String tried, String message) {
    softly.assertThat(message).as(tried + ": no stack trace, no internals").doesNotContain("\tat ", "Exception:", "java.lang.", "REDACTED");
  }

  private static String errorMessage(HttpResponse<String> response) {
    try {
      JsonNode body = response.body() == null || response.body().isBlank() ? null : JSON.readTree(response.body());
      return body == null ? "" : body.at("/error/message").asText();
    } catch (IOException e) {
      return response.body();
    }
  }

  private static String errorCode(HttpResponse<String> response) {
    try {
      JsonNode body = response.body() == null || response.body().isBlank() ? null : JSON.readTree(response.body());
      return body == null ? "" : body.at("/error/code").asText();
    } catch (IOException e) {
      return "";
    }
  }

  // ---------------------------------------------------------------- plumbing

  private static HttpResponse<String> post(String path, String contentType, byte[] body) throws Exception {
    return send("POST", path, contentType, body);
  }

  private static HttpResponse<String> send(String method, String path, String contentType, byte[] body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + app.host().httpPort() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static TestApp.Answer toAnswer(HttpResponse<String> response) throws IOException {
    String text = response.body();
    return new TestApp.Answer(response.statusCode(), text == null || text.isBlank() ? null : JSON.readTree(text), text);
  }

  private static byte[] form(Map<String, byte[]> fields, boolean files) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    fields.forEach((name, data) -> {
      out.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name + "\""
          + (files ? "; filename=\"" + name + ".jpg\"\r\nContent-Type: application/octet-stream" : "") + "\r\n\r\n")
          .getBytes(StandardCharsets.UTF_8));
      out.writeBytes(data);
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    });
    out.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  private static byte[] zip(Map<String, byte[]> files) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> file : new TreeMap<>(files).entrySet()) {
        out.putNextEntry(new ZipEntry(file.getKey()));
        out.write(file.getValue());
        out.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  private static byte[] json(Object value) {
    return unchecked(() -> JSON.writeValueAsBytes(value));
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  private interface Call<T> {
    T call() throws Exception;
  }

  private static <T> T unchecked(Call<T> call) {
    try {
      return call.call();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
