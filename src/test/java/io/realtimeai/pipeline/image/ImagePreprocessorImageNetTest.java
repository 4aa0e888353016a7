package io.realtimeai.pipeline.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.realtimeai.pipeline.ElementType;
import io.realtimeai.pipeline.ImageStage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * End to end on real photographs: the preprocessing the ONNX Model Zoo documents for MobileNetV2,
 * then the pretrained int8 model on ONNX Runtime, must give the classes (and, since the resize is
 * PIL's to the bit, about the confidences) that a PIL/torchvision pipeline gives.
 */
@Tag("integration")
class ImagePreprocessorImageNetTest {
  private static final List<String> PHOTOS =
      List.of("imagenet_finch.jpeg", "winml_kitten_224.png", "winml_fish.png", "grace_hopper.jpg");

  @Test
  void preprocess_feedsMobileNetV2TheDocumentedClassesForRealPhotos() throws Exception {
    Path fixtures = Path.of(System.getProperty("fixtures.dir", "../shared/fixtures"), "imagenet");
    Assumptions.assumeTrue(Files.isDirectory(fixtures), "fixtures not found at " + fixtures + ": skipping");
    ImageStage stage = new ImageStage(List.of(224, 224), ImageStage.Resize.SHORTER_SIDE, 256, ImageStage.ColorOrder.RGB,
        List.of(0.485, 0.456, 0.406), List.of(0.229, 0.224, 0.225), 1 / 255.0, ImageStage.Layout.NCHW, null);
    ImagePreprocessor preprocessor = new ImagePreprocessor(stage, ElementType.FLOAT32, ImagePreprocessor.DEFAULT_MAX_PIXELS);
    // One batch: each image is written right after the previous one.
    ByteBuffer batch = ByteBuffer.allocateDirect(PHOTOS.size() * preprocessor.itemBytes()).order(ByteOrder.nativeOrder());
    for (String photo : PHOTOS) {
      preprocessor.preprocess(Files.readAllBytes(fixtures.resolve(photo)), batch);
    }
    batch.flip();

    float[][] scores;
    OrtEnvironment environment = OrtEnvironment.getEnvironment();
    try (OrtSession session = environment.createSession(fixtures.resolve("mobilenetv2-12-int8.onnx").toString());
        OnnxTensor input = OnnxTensor.createTensor(environment, batch.asFloatBuffer(), new long[] {PHOTOS.size(), 3, 224, 224});
        OrtSession.Result result = session.run(Map.of("input", input))) {
      scores = (float[][]) result.get("output").orElseThrow().getValue();
    }

    double[][] confidences = new double[PHOTOS.size()][];
    List<List<Integer>> top5 = new ArrayList<>();
    for (int i = 0; i < PHOTOS.size(); i++) {
      confidences[i] = softmax(scores[i]);
      double[] p = confidences[i];
      top5.add(IntStream.range(0, p.length).boxed()
          .sorted(Comparator.comparingDouble((Integer k) -> p[k]).reversed()).limit(5).toList());
      StringBuilder line = new StringBuilder(PHOTOS.get(i) + ":");
      top5.get(i).forEach(k -> line.append(String.format(" %d=%.3f", k, p[k])));
      System.out.println(line);
    }

    assertThat(top5.get(0).get(0)).as("finch top-1").isEqualTo(12);
    assertThat(confidences[0][12]).isGreaterThan(0.99);
    assertThat(top5.get(1).get(0)).as("kitten top-1").isEqualTo(281);
    assertThat(confidences[1][281]).isCloseTo(0.85, within(0.05));
    assertThat(top5.get(2).get(0)).as("fish top-1").isEqualTo(0);
    assertThat(confidences[2][0]).isCloseTo(0.78, within(0.05));
    assertThat(top5.get(3)).as("grace hopper top-5").contains(652);
  }

  private static double[] softmax(float[] scores) {
    double max = Double.NEGATIVE_INFINITY;
    for (float score : scores) {
      max = Math.max(max, score);
    }
    double[] p = new double[scores.length];
    double sum = 0;
    for (int i = 0; i < scores.length; i++) {
      p[i] = Math.exp(scores[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= sum;
    }
    return p;
  }
}
