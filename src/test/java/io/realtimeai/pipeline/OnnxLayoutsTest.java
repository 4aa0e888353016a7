package io.realtimeai.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.realtimeai.error.InvalidPackageException;
import io.realtimeai.packaging.ModelPackage;
import io.realtimeai.packaging.ModelPackager;
import io.realtimeai.packaging.PackageLimits;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.OnnxLayouts;
import io.realtimeai.testing.TestImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every ONNX classifier layout users bring, as they bring it: packed, unpacked from its zip,
 * loaded, and scored with its labels, answering what the plain {@code [N, C]} model answers.
 */
@Tag("integration")
class OnnxLayoutsTest {
  @TempDir Path dir;

  private Pipeline packedAndLoaded(Path folder) throws IOException {
    Path zip = dir.resolve(folder.getFileName() + ".zip");
    ModelPackager.pack(folder, zip, AcceleratedCatalog.none());
    ModelPackage unpacked = ModelPackage.extract(zip, dir.resolve(folder.getFileName() + "-unpacked"), PackageLimits.DEFAULT);
    return Pipeline.load(unpacked.root(), unpacked.definition(), AcceleratedCatalog.none(),
        PipelineOptions.serving().withIntraOpThreads(1));
  }

  /** {@code tiny} behind the same pixels (raw ones for the uint8 model), softmax on. */
  private Path reference(OnnxLayouts layout) throws IOException {
    Path folder = dir.resolve("reference");
    ModelFolders.model(folder, io.realtimeai.generate.ModelKind.TINY, "tiny.onnx");
    ModelFolders.labels(folder, OnnxLayouts.CLASSES);
    String image = layout == OnnxLayouts.UINT8_IMAGES ? OnnxLayouts.RAW_NCHW : ModelFolders.IMAGE_STAGE.replace('"', '\'');
    ModelFolders.definition(folder, "{ 'pipeline': [" + image + ", { 'type': 'onnx', 'model_path': 'tiny.onnx' } ],"
        + " 'labels': 'labels.txt', 'output': { 'softmax': true } }");
    return folder;
  }

  @ParameterizedTest
  @EnumSource(OnnxLayouts.class)
  void layout_packsLoadsAndScoresWithItsLabelsAsThePlainClassifierDoes(OnnxLayouts layout) throws IOException {
    Path folder = layout.folder(dir.resolve(layout.name().toLowerCase(java.util.Locale.ROOT)));
    List<byte[]> images = List.of(TestImages.jpeg(), TestImages.picture("png", 320, 240));
    float tolerance = switch (layout) {
      case FLOAT16 -> 0.01f;
      case QDQ_INT8 -> 0.05f;
      default -> 1e-4f;
    };
    try (Pipeline pipeline = packedAndLoaded(folder); Pipeline plain = packedAndLoaded(reference(layout))) {
      Tensor answer = pipeline.predictImages(images).get("output_alias");
      float[] expected = plain.predictImages(images).get("output_alias").toFloats();

      assertThat(pipeline.labels()).hasSize(OnnxLayouts.CLASSES);
      assertThat(answer.shape()).as("answered as [images, classes]").containsExactly(2, OnnxLayouts.CLASSES);
      assertThat(answer.toFloats()).containsExactly(expected, Offset.offset(tolerance));
      if (tolerance < 1e-3f) {
        for (int image = 0; image < 2; image++) {
          assertThat(top3(answer.toFloats(), image)).isEqualTo(top3(expected, image));
        }
      }
    }
  }

  private static List<Integer> top3(float[] scores, int image) {
    int from = image * OnnxLayouts.CLASSES;
    return IntStream.range(0, OnnxLayouts.CLASSES).boxed()
        .sorted(Comparator.comparingDouble((Integer i) -> -scores[from + i])).limit(3).toList();
  }

  @Test
  void externalData_travelsInThePackageBesideTheModel() throws IOException {
    Path folder = OnnxLayouts.EXTERNAL_DATA.folder(dir.resolve("external"));

    ModelPackager.Packed packed = ModelPackager.pack(folder, dir.resolve("external.zip"), AcceleratedCatalog.none());

    assertThat(packed.files()).containsExactly("labels.txt", "model.onnx", "model.onnx.data", "service_def.json");
  }

  @Test
  void externalData_missingIsRefusedNamingTheFile() throws IOException {
    Path folder = OnnxLayouts.EXTERNAL_DATA.folder(dir.resolve("external"));
    Files.delete(folder.resolve("model.onnx.data"));

    InvalidPackageException refused = org.assertj.core.api.Assertions.catchThrowableOfType(InvalidPackageException.class,
        () -> ModelPackager.pack(folder, dir.resolve("external.zip"), AcceleratedCatalog.none()));

    assertThat(refused.details()).containsExactly("pipeline[1].model_path: 'model.onnx' keeps its weights in"
        + " 'model.onnx.data', which is not in the package (put it beside the model)");
  }
}
