package io.realtimeai.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every tiny model loads in ONNX Runtime with the inputs and outputs {@link ModelKind} documents. */
@Tag("integration")
class TinyModelsTest {

  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();
  private static final long BATCH = 2;

  /** A tensor as a model declares it; -1 stands for the symbolic batch dimension. */
  record Io(String name, OnnxJavaType type, long... shape) {}

  /** A tiny kind with its one input and its outputs, in order. */
  record Spec(ModelKind kind, Io input, List<Io> outputs) {
    @Override
    public String toString() {
      return kind.id();
    }
  }

  static Stream<Spec> tinyKinds() {
    Io images = new Io("images", OnnxJavaType.FLOAT, -1, 3, 224, 224);
    Io scores = new Io("scores", OnnxJavaType.FLOAT, -1, 10);
    return Stream.of(
        new Spec(ModelKind.TINY, images, List.of(scores)),
        new Spec(ModelKind.TINY_FEATURIZER, images, List.of(new Io("features", OnnxJavaType.FLOAT, -1, 8))),
        new Spec(ModelKind.TINY_HEAD, new Io("features", OnnxJavaType.FLOAT, -1, 8),
            List.of(new Io("probabilities", OnnxJavaType.FLOAT, -1, 10))),
        new Spec(ModelKind.TINY_MULTI, images, List.of(scores, new Io("embedding", OnnxJavaType.FLOAT, -1, 3))),
        new Spec(ModelKind.TINY_FP16, new Io("images", OnnxJavaType.FLOAT16, -1, 3, 224, 224), List.of(scores)),
        new Spec(ModelKind.TINY_UINT8, new Io("images", OnnxJavaType.UINT8, -1, 224, 224, 3), List.of(scores)),
        new Spec(ModelKind.TINY_VECTOR, new Io("x", OnnxJavaType.FLOAT, -1, 4),
            List.of(new Io("y", OnnxJavaType.FLOAT, -1, 3))));
  }

  @ParameterizedTest
  @MethodSource("tinyKinds")
  void tinyModel_declaresItsDocumentedInputsAndOutputs(Spec spec) throws OrtException {
    try (OrtSession session = session(spec.kind())) {
      assertThat(session.getInputInfo().keySet()).containsExactly(spec.input().name());
      assertThat(session.getOutputNames()).containsExactlyElementsOf(spec.outputs().stream().map(Io::name).toList());
      assertDeclared(session.getInputInfo().get(spec.input().name()), spec.input());
      for (Io output : spec.outputs()) {
        assertDeclared(session.getOutputInfo().get(output.name()), output);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("tinyKinds")
  void tinyModel_runsABatchAndReturnsFiniteOutputsOfTheDocumentedShapes(Spec spec) throws OrtException {
    try (OrtSession session = session(spec.kind());
        OnnxTensor input = ones(spec.input());
        OrtSession.Result result = session.run(Map.of(spec.input().name(), input))) {
      for (Io output : spec.outputs()) {
        OnnxTensor tensor = (OnnxTensor) result.get(output.name()).orElseThrow();
        assertThat(tensor.getInfo().type).isEqualTo(output.type());
        assertThat(tensor.getInfo().getShape()).containsExactly(withBatch(output.shape()));
        for (float value : floats(tensor)) {
          assertThat(value).isFinite();
        }
      }
    }
  }

  @Test
  void tinyHead_probabilitiesSumToOne() throws OrtException {
    float[] features = {3f, -1f, 0.5f, 2f, 0f, -4f, 1f, 7f, -2f, 0.25f, 5f, -3f, 1f, 1f, -1f, 0f};
    try (OrtSession session = session(ModelKind.TINY_HEAD);
        OnnxTensor input = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(features), new long[] {2, 8});
        OrtSession.Result result = session.run(Map.of("features", input))) {
      float[] probabilities = floats((OnnxTensor) result.get("probabilities").orElseThrow());
      for (int row = 0; row < 2; row++) {
        double sum = 0;
        for (int i = 0; i < 10; i++) {
          assertThat(probabilities[row * 10 + i]).isBetween(0f, 1f);
          sum += probabilities[row * 10 + i];
        }
        assertThat(sum).isCloseTo(1.0, offset(1e-5));
      }
    }
  }

  @Test
  void tinyMulti_embeddingIsTheMeanOfEachChannel() throws OrtException {
    float[] images = new float[3 * 224 * 224];
    for (int c = 0; c < 3; c++) {
      Arrays.fill(images, c * 224 * 224, (c + 1) * 224 * 224, c + 1);
    }
    try (OrtSession session = session(ModelKind.TINY_MULTI);
        OnnxTensor input = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(images), new long[] {1, 3, 224, 224});
        OrtSession.Result result = session.run(Map.of("images", input))) {
      assertThat(floats((OnnxTensor) result.get("embedding").orElseThrow()))
          .containsExactly(new float[] {1f, 2f, 3f}, offset(1e-4f));
    }
  }

  private static OrtSession session(ModelKind kind) throws OrtException {
    return ENV.createSession(ModelGenerator.generate(kind, 0).toByteArray(), new OrtSession.SessionOptions());
  }

  private static void assertDeclared(NodeInfo node, Io expected) {
    TensorInfo info = (TensorInfo) node.getInfo();
    assertThat(info.type).as(expected.name()).isEqualTo(expected.type());
    assertThat(info.getShape()).as(expected.name()).containsExactly(expected.shape());
  }

  /** A batch of ones (1.0 for float types, 1 for uint8) in the input's element type. */
  private static OnnxTensor ones(Io input) throws OrtException {
    long[] shape = withBatch(input.shape());
    int count = Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact));
    ByteBuffer bytes = ByteBuffer.allocateDirect(count * 4).order(ByteOrder.nativeOrder());
    for (int i = 0; i < count; i++) {
      switch (input.type()) {
        case FLOAT -> bytes.putFloat(1f);
        case FLOAT16 -> bytes.putShort((short) 0x3C00); // 1.0 in IEEE half precision
        case UINT8 -> bytes.put((byte) 1);
        default -> throw new IllegalArgumentException(input.type().toString());
      }
    }
    return OnnxTensor.createTensor(ENV, bytes.flip(), shape, input.type());
  }

  private static long[] withBatch(long[] shape) {
    long[] concrete = shape.clone();
    concrete[0] = BATCH;
    return concrete;
  }

  private static float[] floats(OnnxTensor tensor) {
    FloatBuffer buffer = tensor.getFloatBuffer();
    float[] values = new float[buffer.remaining()];
    buffer.get(values);
    return values;
  }
}
