package io.realtimeai.runtime;

import static io.realtimeai.runtime.ScoringRuntimeTest.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.proto.serving.PredictRequest;
import io.realtimeai.proto.serving.PredictResponse;
import io.realtimeai.proto.serving.PredictionServiceGrpc;
import io.realtimeai.proto.tensorflow.DataType;
import io.realtimeai.proto.tensorflow.TensorProto;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestImages;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Numeric tensor inputs (a model without an image stage) and models with several outputs. */
@Tag("integration")
class TensorInputTest {
  @TempDir static Path dir;
  static ScoringRuntime vector;
  static ScoringRuntime multi;
  static ManagedChannel vectorChannel;
  static ManagedChannel multiChannel;

  @BeforeAll
  static void start() throws Exception {
    vector = new ScoringRuntime(RuntimeSettings.loopback()).start(RuntimeHarness.loader(ModelFolders.tinyVector(dir.resolve("v"))));
    multi = new ScoringRuntime(RuntimeSettings.loopback()).start(RuntimeHarness.loader(ModelFolders.tinyMulti(dir.resolve("m"))));
    vectorChannel = RuntimeHarness.channel(vector.port());
    multiChannel = RuntimeHarness.channel(multi.port());
  }

  @AfterAll
  static void stop() throws Exception {
    vectorChannel.shutdownNow();
    multiChannel.shutdownNow();
    vector.stop();
    multi.stop();
  }

  @AfterEach
  void stillServesAGoodRequest() {
    TensorProto good = floats(1, 4).addAllFloatVal(List.of(1f, 2f, 3f, 4f)).build();
    assertThat(vectorStub().predict(PredictRequest.newBuilder().putInputs("x", good).build()).getOutputsCount()).isEqualTo(1);
  }

  private static PredictionServiceGrpc.PredictionServiceBlockingStub vectorStub() {
    return RuntimeHarness.stub(vectorChannel, null);
  }

  private static TensorProto.Builder floats(long... shape) {
    return TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(TensorProtos.shapeProto(shape));
  }

  @Test
  void predict_takesFloatValAndTensorContentAlike() {
    float[] x = {0.5f, -1f, 2f, 0.25f, 1f, 1f, 1f, 1f};
    TensorProto.Builder asValues = floats(2, 4);
    for (float v : x) {
      asValues.addFloatVal(v);
    }
    ByteBuffer content = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : x) {
      content.putFloat(v);
    }
    TensorProto asContent = floats(2, 4).setTensorContent(ByteString.copyFrom(content.array())).build();

    PredictResponse fromValues = vectorStub().predict(PredictRequest.newBuilder().putInputs("x", asValues.build()).build());
    PredictResponse fromContent = vectorStub().predict(PredictRequest.newBuilder().putInputs("x:0", asContent).build());

    TensorProto y = fromValues.getOutputsOrThrow("output_alias");
    assertThat(TensorProtos.shape(y.getTensorShape())).containsExactly(2, 3);
    assertThat(PredictionClient.floats(y)).containsExactly(PredictionClient.floats(fromContent.getOutputsOrThrow("output_alias")));
  }

  @Test
  void predict_refusesATensorOfTheWrongShape() {
    TensorProto wrong = floats(1, 5).addAllFloatVal(List.of(1f, 2f, 3f, 4f, 5f)).build();
    assertRefused(() -> vectorStub().predict(PredictRequest.newBuilder().putInputs("x", wrong).build()),
        Status.Code.INVALID_ARGUMENT, "input 'x': shape [1, 5] does not match the model's [batch, 4]");
  }

  @Test
  void predict_refusesATensorOfTheWrongDtype() {
    TensorProto ints = TensorProto.newBuilder().setDtype(DataType.DT_INT32)
        .setTensorShape(TensorProtos.shapeProto(new long[] {1, 4})).addAllIntVal(List.of(1, 2, 3, 4)).build();
    assertRefused(() -> vectorStub().predict(PredictRequest.newBuilder().putInputs("x", ints).build()),
        Status.Code.INVALID_ARGUMENT, "input 'x': dtype DT_INT32 does not match the model's float32 (DT_FLOAT)");
  }

  @Test
  void predict_refusesTensorContentOfTheWrongLength() {
    TensorProto shortContent = floats(1, 4).setTensorContent(ByteString.copyFrom(new byte[12])).build();
    assertRefused(() -> vectorStub().predict(PredictRequest.newBuilder().putInputs("x", shortContent).build()),
        Status.Code.INVALID_ARGUMENT, "tensor_content holds 12 bytes but shape [1, 4] of float32 needs 16");
  }

  @Test
  void predict_refusesImagesForATensorModel() {
    assertRefused(() -> vectorStub().predict(RuntimeHarness.images("x", List.of(TestImages.jpeg()))),
        Status.Code.INVALID_ARGUMENT, "input 'x': dtype DT_STRING is not a numeric type");
  }

  @Test
  void predict_returnsEveryNamedOutputOfAMultiOutputModel() {
    PredictResponse response = RuntimeHarness.stub(multiChannel, null).predict(RuntimeHarness.image(TestImages.jpeg()));

    assertThat(response.getOutputsMap()).containsOnlyKeys("output_alias", "embedding");
    assertThat(TensorProtos.shape(response.getOutputsOrThrow("output_alias").getTensorShape())).containsExactly(1, 10);
    assertThat(TensorProtos.shape(response.getOutputsOrThrow("embedding").getTensorShape())).containsExactly(1, 3);
  }

  @Test
  void predict_returnsOnlyTheFilteredOutput() {
    PredictRequest request = RuntimeHarness.image(TestImages.jpeg()).toBuilder().addOutputFilter("embedding:0").build();

    PredictResponse response = RuntimeHarness.stub(multiChannel, null).predict(request);

    assertThat(response.getOutputsMap()).containsOnlyKeys("embedding");
  }
}
