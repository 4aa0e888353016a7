package io.realtimeai.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.FloatBuffer;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The generated ResNet-50 against torchvision's published figures, and run in ONNX Runtime. */
@Tag("integration")
class ResNet50GeneratorTest {

  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();
  private static ModelProto classifier;

  @BeforeAll
  static void generateClassifier() {
    classifier = ModelGenerator.generate(ModelKind.RESNET50_CLASSIFIER, 0);
  }

  @Test
  void resnet50Classifier_hasTorchvisionParameterCount() {
    assertThat(GraphStats.of(classifier).parameters()).isEqualTo(25_557_032L);
  }

  @Test
  void resnet50Classifier_hasTheLayersOfResNet50() {
    Map<String, Long> ops = classifier.getGraph().getNodeList().stream()
        .collect(Collectors.groupingBy(NodeProto::getOpType, Collectors.counting()));

    assertThat(ops).containsEntry("Conv", 53L)
        .containsEntry("BatchNormalization", 53L)
        .containsEntry("Add", 16L)
        .containsEntry("Relu", 49L)
        .containsEntry("MaxPool", 1L)
        .containsEntry("GlobalAveragePool", 1L)
        .containsEntry("Gemm", 1L)
        .containsEntry("Softmax", 1L);
  }

  @Test
  void resnet50Classifier_costsAbout4Point1GigaMacsAt224() {
    assertThat(GraphStats.of(classifier).macs()).isBetween(4_000_000_000L, 4_200_000_000L);
  }

  @Test
  void resnet50Classifier_givesProbabilitiesInOnnxRuntime() throws OrtException {
    float[] probabilities = run(classifier, "images", images(1), new long[] {1, 3, 224, 224}, "probabilities", 1, 1000);

    double sum = 0;
    for (float p : probabilities) {
      sum += p;
    }
    assertThat(sum).isCloseTo(1.0, offset(1e-4));
  }

  @Test
  void resnet50_givesFiniteFeaturesInOnnxRuntime() throws OrtException {
    ModelProto featurizer = ModelGenerator.generate(ModelKind.RESNET50, 0);

    float[] features = run(featurizer, "images", images(1), new long[] {1, 3, 224, 224}, "features", 1, 2048);

    assertThat(features).hasSize(2048);
    for (float f : features) {
      assertThat(f).isFinite();
    }
    // random weights must not have collapsed the network to a constant
    assertThat(distinct(features)).isGreaterThan(100);
  }

  @Test
  void resnet50Spatial_keepsTheSpatialDimensionsOfFeatures() throws OrtException {
    ModelProto featurizer = ModelGenerator.generate(ModelKind.RESNET50, 0, true);

    float[] features = run(featurizer, "images", images(2), new long[] {2, 3, 224, 224}, "features", 2, 2048, 1, 1);

    assertThat(features).hasSize(2 * 2048);
  }

  @Test
  void resnet50_sameSeedGivesByteIdenticalModel() throws Exception {
    assertThat(sha256(ModelGenerator.generate(ModelKind.RESNET50, 3)))
        .isEqualTo(sha256(ModelGenerator.generate(ModelKind.RESNET50, 3)));
  }

  @Test
  void resnet50_differentSeedGivesDifferentWeights() {
    ModelProto other = ModelGenerator.generate(ModelKind.RESNET50_CLASSIFIER, 1);

    assertThat(other.getGraph().getNodeList()).isEqualTo(classifier.getGraph().getNodeList());
    assertThat(other.getGraph().getInitializer(0).getName()).isEqualTo("conv1.weight");
    assertThat(other.getGraph().getInitializer(0).getRawData())
        .isNotEqualTo(classifier.getGraph().getInitializer(0).getRawData());
  }

  /** Runs a model on one float input and returns its named output after checking the output's shape. */
  private static float[] run(ModelProto model, String input, float[] values, long[] inputShape, String output,
      long... outputShape) throws OrtException {
    try (OrtSession session = ENV.createSession(model.toByteArray(), new OrtSession.SessionOptions());
        OnnxTensor tensor = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(values), inputShape);
        OrtSession.Result result = session.run(Map.of(input, tensor))) {
      OnnxTensor out = (OnnxTensor) result.get(output).orElseThrow();
      assertThat(out.getInfo().getShape()).containsExactly(outputShape);
      FloatBuffer buffer = out.getFloatBuffer();
      float[] floats = new float[buffer.remaining()];
      buffer.get(floats);
      return floats;
    }
  }

  /** Normalized-image-like input: standard normal values. */
  private static float[] images(int batch) {
    SplittableRandom random = new SplittableRandom(11);
    float[] values = new float[batch * 3 * 224 * 224];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }

  private static long distinct(float[] values) {
    return IntStream.range(0, values.length).mapToObj(i -> values[i]).distinct().count();
  }

  private static byte[] sha256(ModelProto model) throws IOException, NoSuchAlgorithmException {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), digest)) {
      model.writeTo(out);
    }
    return digest.digest();
  }
}
