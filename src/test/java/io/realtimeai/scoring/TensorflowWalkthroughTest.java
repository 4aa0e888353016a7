package io.realtimeai.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.proto.serving.ModelSpec;
import io.realtimeai.proto.serving.PredictRequest;
import io.realtimeai.proto.tensorflow.DataType;
import io.realtimeai.proto.tensorflow.TensorProto;
import io.realtimeai.proto.tensorflow.TensorShapeProto;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.TensorflowGraphs;
import io.realtimeai.testing.TestApp;
import io.realtimeai.testing.TestImages;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Brainwave walkthrough as its users ran it: its {@code service_def.json}, byte for byte as
 * amlrealtimeai writes it, zipped with the two TensorFlow graphs (built here by TensorFlow Java)
 * and dropped into {@code model-uploads}; its featurizer dropped into the accelerated catalog as
 * {@code resnet50/1.1.6-rc}; then registered, deployed, and scored over gRPC as the walkthrough's
 * client sends images and over HTTP, each answer the graphs' own to 1e-4.
 */
@Tag("integration")
class TensorflowWalkthroughTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  private static final int CLASSES = 1000;
  private static final Duration SETTLE = Duration.ofSeconds(120);

  @TempDir static Path dir;
  static TestApp app;
  static Path folder;
  static Path featurizer;
  static JsonNode service;
  static byte[] png;
  static float[] expected;

  @BeforeAll
  static void start() throws Exception {
    app = TestApp.start(azurite, dir, TestApp.localReplicas(dir));
    folder = TensorflowGraphs.walkthroughFolder(dir.resolve("walkthrough"), CLASSES);
    featurizer = dir.resolve("resnet50.onnx");
    TensorflowGraphs.featurizer(featurizer, 3);
    png = TestImages.picture("png", 224, 224);
    expected = TensorflowGraphs.runByHand(folder, featurizer, png);

    app.drop(StorageLayout.ACCELERATED_MODELS, "resnet50/1.1.6-rc/model.onnx", Files.readAllBytes(featurizer));
    JsonNode entry = app.awaitJson("/api/accelerated-models/resnet50/1.1.6-rc", SETTLE,
        body -> body.has("state") && !body.get("state").asText().equals("Checking"));
    assertThat(entry.get("state").asText()).as(entry.toString()).isEqualTo("Valid");

    app.drop(StorageLayout.MODEL_UPLOADS, "walkthrough.zip", zip(folder, "service_def.json", "input_trans.pb",
        "resnet50_classifier.pb"));
    JsonNode upload = app.awaitJson("/api/uploads/walkthrough", SETTLE,
        body -> body.has("state") && !body.get("state").asText().equals("Pending"));
    assertThat(upload.get("state").asText()).as(upload.toString()).isEqualTo("Registered");

    String operation = app.createService(Map.of("name", "walkthrough", "modelId", upload.get("modelId").asText(),
        "computeType", "FPGA"));
    JsonNode done = app.awaitJson(operation, SETTLE,
        body -> !List.of("NotStarted", "Running").contains(body.get("state").asText()));
    assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("Succeeded");
    service = app.get("/api/services/walkthrough").body();
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close();
    }
  }

  /** The files of {@code folder} in a zip, as a user zips them by hand. */
  private static byte[] zip(Path folder, String... names) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(bytes)) {
      for (String name : names) {
        out.putNextEntry(new ZipEntry(name));
        out.write(Files.readAllBytes(folder.resolve(name)));
        out.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  private static PredictionClient client() throws Exception {
    String key = app.get("/api/services/walkthrough/keys").body().get("primaryKey").asText();
    return PredictionClient.builder(service.get("ipAddress").asText() + ":" + service.get("port").asInt())
        .key(key).deadline(Duration.ofSeconds(30)).build();
  }

  private static void assertScoresAsTheGraphs(float[] scores) {
    assertThat(scores).hasSize(CLASSES);
    for (int i = 0; i < CLASSES; i++) {
      assertThat(scores[i]).as("class %d", i).isCloseTo(expected[i], Offset.offset(1e-4f));
    }
    assertThat(top5(scores)).isEqualTo(top5(expected));
  }

  private static List<Integer> top5(float[] scores) {
    return IntStream.range(0, scores.length).boxed()
        .sorted(Comparator.comparingDouble((Integer i) -> scores[i]).reversed()).limit(5).toList();
  }

  @Test
  void registeredModel_listsTheWalkthroughStagesAsUnderstood() throws Exception {
    JsonNode stages = app.get("/api/models/walkthrough:1").body().get("stages");
    assertThat(stages).extracting(stage -> stage.get("type").asText())
        .containsExactly("tensorflow", "accelerated", "tensorflow");
    assertThat(stages.get(0).get("input").asText()).isEqualTo("in_images:0");
    assertThat(stages.get(2).get("output").asText()).isEqualTo("resnet_v1_50/logits/Softmax:0");
    assertThat(service.get("accelerator").asText()).isEqualTo("CPU");
  }

  @Test
  void grpc_stockRequestWithStringValAndNoShape_answersTheGraphsScores() throws Exception {
    PredictRequest request = PredictRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName("walkthrough"))
        .putInputs("images", TensorProto.newBuilder().setDtype(DataType.DT_STRING)
            .addStringVal(ByteString.copyFrom(png)).build())
        .build();
    try (PredictionClient client = client()) {
      TensorProto output = client.predict(request).getOutputsOrThrow("output_alias");
      assertThat(output.getDtype()).isEqualTo(DataType.DT_FLOAT);
      assertScoresAsTheGraphs(PredictionClient.floats(output));
    }
  }

  @Test
  void grpc_requestShapedAsTheWalkthroughClientSendsIt_answersTheGraphsScores() throws Exception {
    // amlrealtimeai's PredictionClient.score_image: inputs['images'], DT_STRING, shape [1].
    PredictRequest request = PredictRequest.newBuilder()
        .putInputs("images", TensorProto.newBuilder().setDtype(DataType.DT_STRING)
            .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(1)))
            .addStringVal(ByteString.copyFrom(png)).build())
        .build();
    try (PredictionClient client = client()) {
      assertScoresAsTheGraphs(PredictionClient.floats(client.predict(request).getOutputsOrThrow("output_alias")));
    }
  }

  @Test
  void http_scoreCallWithThePng_answersTheGraphsScores() throws Exception {
    HttpScoringCalls.Answer answer = new HttpScoringCalls(app)
        .post("/api/services/walkthrough/score?persist=false", "image/png", png);

    assertThat(answer.status()).as(answer.text()).isEqualTo(200);
    JsonNode values = answer.body().at("/outputs/output_alias/values");
    float[] scores = new float[values.size()];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = (float) values.get(i).asDouble();
    }
    assertScoresAsTheGraphs(scores);
  }
}
