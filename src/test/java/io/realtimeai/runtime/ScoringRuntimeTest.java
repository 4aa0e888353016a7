package io.realtimeai.runtime;

import static io.realtimeai.runtime.RuntimeHarness.image;
import static io.realtimeai.runtime.RuntimeHarness.images;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Int32Value;
import com.google.protobuf.StringValue;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.realtimeai.client.Prediction;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.proto.serving.GetModelMetadataRequest;
import io.realtimeai.proto.serving.GetModelMetadataResponse;
import io.realtimeai.proto.serving.PredictRequest;
import io.realtimeai.proto.serving.PredictResponse;
import io.realtimeai.proto.serving.PredictionServiceGrpc;
import io.realtimeai.proto.serving.SignatureDefMap;
import io.realtimeai.proto.tensorflow.DataType;
import io.realtimeai.proto.tensorflow.SignatureDef;
import io.realtimeai.proto.tensorflow.TensorProto;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestImages;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Predict contract of a runtime serving the tiny classifier, on a real loopback server. */
@Tag("integration")
class ScoringRuntimeTest {
  private static final String KEY = "primary-key";
  private static final int LIMIT = 1 << 20;

  @TempDir static Path dir;
  static ScoringRuntime runtime;
  static PredictionClient client;
  static ManagedChannel channel;
  static PredictionServiceGrpc.PredictionServiceBlockingStub keyed;

  @BeforeAll
  static void start() throws Exception {
    Path folder = ModelFolders.tinyClassifier(dir.resolve("tiny"));
    RuntimeSettings settings = new RuntimeSettings("tiny", 0, null, KeyRing.of(List.of(KEY, "secondary-key")),
        null, null, LIMIT, Duration.ofSeconds(5));
    runtime = new ScoringRuntime(settings).start(RuntimeHarness.loader(folder));
    client = PredictionClient.builder("localhost:" + runtime.port()).key(KEY).maxAttempts(1).build();
    channel = RuntimeHarness.channel(runtime.port());
    keyed = RuntimeHarness.stub(channel, "Bearer " + KEY);
  }

  @AfterAll
  static void stop() throws Exception {
    client.close();
    channel.shutdownNow();
    runtime.stop();
  }

  @AfterEach
  void stillServesAGoodRequest() {
    // Whatever a test sent, the process keeps serving.
    assertThat(client.classify(List.of(TestImages.jpeg()), 1)).hasSize(1);
  }

  @Test
  void predict_classifiesOneImageWithLabels() {
    List<List<Prediction>> answer = client.classify(List.of(TestImages.jpeg()), 3);

    assertThat(answer).hasSize(1);
    List<Prediction> top = answer.get(0);
    assertThat(top).hasSize(3);
    assertThat(top.get(0).label()).isEqualTo("class-" + top.get(0).index());
    assertThat(top.get(0).confidence()).isGreaterThanOrEqualTo(top.get(1).confidence());
    assertThat(top.get(1).confidence()).isGreaterThanOrEqualTo(top.get(2).confidence());
  }

  @Test
  void predict_scoresABatchInOneCallAsItScoresEachImageAlone() {
    List<byte[]> batch = List.of(TestImages.picture("jpg", 300, 200), TestImages.picture("png", 224, 224),
        TestImages.picture("bmp", 100, 120), TestImages.picture("gif", 256, 256));

    PredictResponse together = keyed.predict(images("images", batch));

    TensorProto scores = together.getOutputsOrThrow("output_alias");
    assertThat(scores.getDtype()).isEqualTo(DataType.DT_FLOAT);
    assertThat(TensorProtos.shape(scores.getTensorShape())).containsExactly(4, 10);
    float[] all = PredictionClient.floats(scores);
    for (int i = 0; i < batch.size(); i++) {
      float[] alone = PredictionClient.floats(keyed.predict(image(batch.get(i))).getOutputsOrThrow("output_alias"));
      float sum = 0;
      for (int c = 0; c < 10; c++) {
        assertThat(all[i * 10 + c]).isCloseTo(alone[c], org.assertj.core.data.Offset.offset(1e-5f));
        sum += alone[c];
      }
      assertThat(sum).as("softmax row sums to 1").isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-4f));
    }
  }

  @Test
  void predict_acceptsTheInputNameWithTensorflowSuffix() {
    assertThat(keyed.predict(images("images:0", List.of(TestImages.jpeg()))).getOutputsMap()).containsKey("output_alias");
  }

  @Test
  void predict_acceptsABareKeyAndTheSecondaryKey() {
    assertThat(RuntimeHarness.stub(channel, KEY).predict(image(TestImages.jpeg())).getOutputsCount()).isEqualTo(1);
    assertThat(RuntimeHarness.stub(channel, "Bearer secondary-key").predict(image(TestImages.jpeg())).getOutputsCount())
        .isEqualTo(1);
  }

  @Test
  void predict_refusesAMissingKey() {
    assertRefused(() -> RuntimeHarness.stub(channel, null).predict(image(TestImages.jpeg())),
        Status.Code.UNAUTHENTICATED, "missing key");
  }

  @Test
  void predict_refusesAWrongKey() {
    assertRefused(() -> RuntimeHarness.stub(channel, "Bearer not-the-key").predict(image(TestImages.jpeg())),
        Status.Code.UNAUTHENTICATED, "not valid for this service");
  }

  @Test
  void predict_refusesEmptyBytes() {
    assertRefused(() -> keyed.predict(image(new byte[0])), Status.Code.INVALID_ARGUMENT, "input 'images'[0]: empty image");
  }

  @Test
  void predict_refusesText() {
    assertRefused(() -> keyed.predict(image("hello, world".getBytes())),
        Status.Code.INVALID_ARGUMENT, "input 'images'[0]: not a JPEG, PNG, BMP or GIF image");
  }

  @Test
  void predict_refusesATruncatedJpegNamingItsIndex() {
    assertRefused(() -> keyed.predict(images("images", List.of(TestImages.jpeg(), TestImages.truncatedJpeg()))),
        Status.Code.INVALID_ARGUMENT, "input 'images'[1]: truncated or corrupt JPEG");
  }

  @Test
  void predict_refusesAPngHeaderAboveThePixelBudgetBeforeDecoding() {
    assertRefused(() -> keyed.predict(image(TestImages.pngHeaderClaiming(30000, 30000))),
        Status.Code.INVALID_ARGUMENT, "30000×30000");
  }

  @Test
  void predict_refusesAWrongInputName() {
    assertRefused(() -> keyed.predict(images("image", List.of(TestImages.jpeg()))),
        Status.Code.INVALID_ARGUMENT, "input 'image' is not an input of this model; it takes 'images'");
  }

  @Test
  void predict_refusesAWrongDtype() {
    PredictRequest floats = PredictRequest.newBuilder().putInputs("images", TensorProto.newBuilder()
        .setDtype(DataType.DT_FLOAT).setTensorShape(TensorProtos.shapeProto(new long[] {1})).addFloatVal(1f).build())
        .build();
    assertRefused(() -> keyed.predict(floats), Status.Code.INVALID_ARGUMENT,
        "input 'images': must be DT_STRING holding encoded images, got DT_FLOAT");
  }

  @Test
  void predict_refusesAShapeThatDoesNotMatchTheImages() {
    PredictRequest request = PredictRequest.newBuilder().putInputs("images", TensorProto.newBuilder()
        .setDtype(DataType.DT_STRING).setTensorShape(TensorProtos.shapeProto(new long[] {3}))
        .addStringVal(ByteString.copyFrom(TestImages.jpeg())).build()).build();
    assertRefused(() -> keyed.predict(request), Status.Code.INVALID_ARGUMENT, "shape [3] does not match its 1 string_val");
  }

  @Test
  void predict_refusesAMessageAboveTheLimit() {
    byte[] large = new byte[LIMIT + 1024];
    assertRefused(() -> keyed.predict(image(large)), Status.Code.RESOURCE_EXHAUSTED, "");
  }

  @Test
  void predict_refusesARequestWithoutInputs() {
    assertRefused(() -> keyed.predict(PredictRequest.getDefaultInstance()), Status.Code.INVALID_ARGUMENT,
        "the request has no inputs; this model takes 'images'");
  }

  @Test
  void predict_refusesAnUnknownOutputFilter() {
    PredictRequest request = image(TestImages.jpeg()).toBuilder().addOutputFilter("logits").build();
    assertRefused(() -> keyed.predict(request), Status.Code.INVALID_ARGUMENT,
        "output_filter 'logits' is not an output of this model (outputs: output_alias)");
  }

  @Test
  void getModelMetadata_describesSignatureLabelsAcceleratorAndThreads() throws Exception {
    GetModelMetadataResponse response = keyed.getModelMetadata(GetModelMetadataRequest.newBuilder()
        .addMetadataField("signature_def").addMetadataField("labels").addMetadataField("accelerator")
        .addMetadataField("intra_op_threads").build());

    SignatureDef signature = response.getMetadataOrThrow("signature_def").unpack(SignatureDefMap.class)
        .getSignatureDefOrThrow("serving_default");
    assertThat(signature.getInputsOrThrow("images").getDtype()).isEqualTo(DataType.DT_STRING);
    assertThat(TensorProtos.shape(signature.getOutputsOrThrow("output_alias").getTensorShape())).containsExactly(-1, 10);
    assertThat(response.getMetadataOrThrow("labels").unpack(TensorProto.class).getStringValCount()).isEqualTo(10);
    assertThat(response.getMetadataOrThrow("accelerator").unpack(StringValue.class).getValue()).isEqualTo("CPU");
    // The harness asks for one thread per model; the runtime says what it chose.
    assertThat(response.getMetadataOrThrow("intra_op_threads").unpack(Int32Value.class).getValue()).isEqualTo(1);
    assertThat(response.getModelSpec().getName()).isEqualTo("tiny");
  }

  @Test
  void health_reportsServingWithoutAKey() {
    HealthCheckResponse health = HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance());
    assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  static void assertRefused(ThrowingCallable call, Status.Code code, String message) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(code);
          assertThat(String.valueOf(e.getStatus().getDescription())).contains(message);
        });
  }
}
