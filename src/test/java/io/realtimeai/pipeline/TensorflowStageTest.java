package io.realtimeai.pipeline;

import static io.realtimeai.testing.ModelFolders.definition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.realtimeai.error.UnprocessableException;
import io.realtimeai.packaging.ModelPackage;
import io.realtimeai.testing.TensorflowGraphs;
import io.realtimeai.testing.TestImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/** tensorflow stages on real TensorFlow Java sessions, with the walkthrough's graphs built by TensorFlow itself. */
@Tag("integration")
class TensorflowStageTest {
  private static final int CLASSES = 1000;

  @TempDir Path dir;

  private AcceleratedCatalog catalog() throws IOException {
    TensorflowGraphs.featurizer(dir.resolve("catalog/resnet50/1.1.6-rc/model.onnx"), 3);
    return new AcceleratedCatalog(dir.resolve("catalog"));
  }

  private Path featurizer() {
    return dir.resolve("catalog/resnet50/1.1.6-rc/model.onnx");
  }

  private static Pipeline load(Path folder, AcceleratedCatalog catalog) throws IOException {
    ModelPackage modelPackage = ModelPackage.openDirectory(folder);
    return Pipeline.load(modelPackage.root(), modelPackage.definition(), catalog,
        PipelineOptions.serving().withIntraOpThreads(1));
  }

  private List<String> problems(Path folder) throws IOException {
    ModelPackage modelPackage = ModelPackage.openDirectory(folder);
    return Pipeline.validate(modelPackage.root(), modelPackage.definition(), catalog()).problems();
  }

  @Test
  void walkthroughDefinition_scoresAsItsGraphsRunDirectlyInTensorflow() throws Exception {
    Path folder = TensorflowGraphs.walkthroughFolder(dir.resolve("model"), CLASSES);
    byte[] first = TestImages.picture("png", 224, 224);
    byte[] second = TestImages.encode(noise(224, 224), "png");
    try (Pipeline pipeline = load(folder, catalog())) {
      assertThat(pipeline.takesImages()).isTrue();
      assertThat(pipeline.inputAlias()).isEqualTo("images");
      assertThat(pipeline.isInputAlias("in_images:0")).isTrue();
      Tensor out = pipeline.predictImages(List.of(first, second)).get("output_alias");

      assertThat(out.shape()).containsExactly(2, CLASSES);
      float[] scores = out.toFloats();
      float[] expectedFirst = TensorflowGraphs.runByHand(folder, featurizer(), first);
      float[] expectedSecond = TensorflowGraphs.runByHand(folder, featurizer(), second);
      for (int i = 0; i < CLASSES; i++) {
        assertThat(scores[i]).as("image 0 class %d", i).isCloseTo(expectedFirst[i], org.assertj.core.data.Offset.offset(1e-4f));
        assertThat(scores[CLASSES + i]).as("image 1 class %d", i)
            .isCloseTo(expectedSecond[i], org.assertj.core.data.Offset.offset(1e-4f));
      }
    }
  }

  @Test
  void savedModelStage_runsItsServingDefaultSignatureByAlias() throws Exception {
    Path folder = TensorflowGraphs.walkthroughFolder(dir.resolve("model"), CLASSES);
    TensorflowGraphs.savedModel(folder.resolve("classifier"), CLASSES, 7);
    Path saved = dir.resolve("saved");
    Files.createDirectories(saved);
    Files.copy(folder.resolve("input_trans.pb"), saved.resolve("input_trans.pb"));
    copyTree(folder.resolve("classifier"), saved.resolve("classifier"));
    definition(saved, "{ 'pipeline': [ { 'type': 'tensorflow', 'model_path': 'input_trans.pb',"
        + " 'input_tensor': 'in_images', 'output_tensor': 'transferred_input' },"
        + " { 'type': 'brainwave', 'model_ref': 'resnet50', 'model_version': '1.1.6-rc', 'output_tensor_dims': [1, 1, 2048] },"
        + " { 'type': 'tensorflow', 'model_path': 'classifier', 'input_tensor': 'images', 'output_tensor': 'output_alias' } ] }");
    byte[] png = TestImages.picture("png", 224, 224);
    try (Pipeline graphs = load(folder, catalog()); Pipeline savedModel = load(saved, catalog())) {
      float[] fromGraph = graphs.predictImages(List.of(png)).get("output_alias").toFloats();
      float[] fromSavedModel = savedModel.predictImages(List.of(png)).get("output_alias").toFloats();
      assertThat(fromSavedModel).containsExactly(fromGraph, org.assertj.core.data.Offset.offset(1e-6f));
    }
  }

  @Test
  void encodedImages_thatCannotBeDecodedAreRefusedNamingTheirIndex() throws IOException {
    Path folder = TensorflowGraphs.walkthroughFolder(dir.resolve("model"), CLASSES);
    try (Pipeline pipeline = load(folder, catalog())) {
      assertThatThrownBy(() -> pipeline.predictImages(List.of(TestImages.picture("png", 224, 224),
          "not an image".getBytes())))
          .isInstanceOf(UnprocessableException.class)
          .hasMessageStartingWith("input 'images'[1]: the model could not run on this input:");
    }
  }

  @Test
  void validate_refusesAFileThatIsNotAGraphDef() throws IOException {
    Path folder = TensorflowGraphs.walkthroughFolder(dir.resolve("model"), 10);
    Files.writeString(folder.resolve("input_trans.pb"), "{\"not\": \"a graph\"}");
    assertThat(problems(folder)).singleElement().asString()
        .startsWith("pipeline[0].model_path: 'input_trans.pb' is not a TensorFlow GraphDef");
  }

  @Test
  void validate_refusesATensorNameNotInTheGraph() throws IOException {
    Path folder = TensorflowGraphs.walkthroughFolder(dir.resolve("model"), 10);
    Files.writeString(folder.resolve("service_def.json"),
        TensorflowGraphs.WALKTHROUGH_DEFINITION.replace("resnet_v1_50/logits/Softmax:0", "resnet_v1_50/Softmax:0"));
    assertThat(problems(folder)).containsExactly("pipeline[2].output_tensor: 'resnet_v1_50/Softmax:0' is not an output"
        + " of 'resnet50_classifier.pb' (outputs: resnet_v1_50/logits/Softmax:0)");
  }

  @Test
  void validate_refusesASavedModelWithoutTheSignature() throws IOException {
    Path folder = dir.resolve("model");
    TensorflowGraphs.savedModel(folder.resolve("classifier"), 10, 7);
    definition(folder, "{ 'pipeline': [ { 'type': 'tensorflow', 'model_path': 'classifier', 'signature_name': 'predict' } ] }");
    assertThat(problems(folder)).containsExactly(
        "pipeline[0].signature_name: SavedModel 'classifier' has no signature 'predict' (signatures: serving_default)");
  }

  @Test
  void validate_refusesAFolderThatIsNotASavedModel() throws IOException {
    Path folder = dir.resolve("model");
    Files.createDirectories(folder.resolve("classifier/variables"));
    definition(folder, "{ 'pipeline': [ { 'type': 'tensorflow', 'model_path': 'classifier' } ] }");
    assertThat(problems(folder)).containsExactly(
        "pipeline[0].model_path: folder 'classifier' is not a SavedModel: it has no saved_model.pb");
  }

  @Test
  void validate_refusesAnOpThisTensorflowBuildLacks() throws IOException {
    Path folder = dir.resolve("model");
    Files.createDirectories(folder);
    Files.write(folder.resolve("custom.pb"), GraphDef.newBuilder()
        .addNode(NodeDef.newBuilder().setName("x").setOp("Placeholder")
            .putAttr("dtype", org.tensorflow.proto.AttrValue.newBuilder().setType(org.tensorflow.proto.DataType.DT_FLOAT).build()))
        .addNode(NodeDef.newBuilder().setName("y").setOp("FancyCustomOp").addInput("x"))
        .build().toByteArray());
    definition(folder, "{ 'pipeline': [ { 'type': 'tensorflow', 'model_path': 'custom.pb' } ] }");
    assertThat(problems(folder)).singleElement().asString()
        .startsWith("pipeline[0].model_path: 'custom.pb' uses op 'FancyCustomOp', which TensorFlow ")
        .endsWith(" here does not have (a custom op, or one its build leaves out)");
  }

  @Test
  void graphInputOfUnknownRank_takesAScalarAndABatch() throws IOException {
    // No shape at all: the graph takes a tensor of any rank, a scalar included.
    Path folder = graph("double.pb", tf -> tf.withName("y").math.mul(
        tf.withName("x").placeholder(org.tensorflow.types.TFloat32.class), tf.constant(2f)));
    definition(folder, "{ 'pipeline': [ { 'type': 'tensorflow', 'model_path': 'double.pb', 'input_tensor': 'x',"
        + " 'output_tensor': 'y' } ] }");

    try (Pipeline pipeline = load(folder, catalog())) {
      assertThat(pipeline.predictTensor(Tensor.ofFloats(new long[0], new float[] {3f})).values()).singleElement()
          .satisfies(y -> assertThat(y.toFloats()).containsExactly(6f));
      assertThat(pipeline.predictTensor(Tensor.ofFloats(new long[] {2}, new float[] {3f, 4f})).values()).singleElement()
          .satisfies(y -> assertThat(y.toFloats()).containsExactly(6f, 8f));
    }
  }

  @Test
  void validate_refusesAGraphThatIsNotFrozen() throws IOException {
    Path folder = graph("unfrozen.pb", tf -> tf.withName("y").linalg.matMul(
        tf.withName("x").placeholder(org.tensorflow.types.TFloat32.class,
            org.tensorflow.op.core.Placeholder.shape(org.tensorflow.ndarray.Shape.of(-1, 4))),
        tf.withName("w").variable(tf.constant(new float[][] {{1}, {2}, {3}, {4}}))));
    definition(folder, "{ 'pipeline': [ { 'type': 'tensorflow', 'model_path': 'unfrozen.pb', 'output_tensor': 'y' } ] }");
    assertThat(problems(folder)).singleElement().asString()
        .startsWith("pipeline[0].model_path: 'unfrozen.pb' is not frozen: its ")
        .contains("needs a checkpoint (freeze the graph: convert_variables_to_constants)");
  }

  @Test
  void validate_refusesEncodedImagesFedToALaterStage() throws IOException {
    Path folder = TensorflowGraphs.walkthroughFolder(dir.resolve("model"), 10);
    definition(folder, "{ 'pipeline': [ " + io.realtimeai.testing.ModelFolders.IMAGE_STAGE.replace('"', '\'')
        + ", { 'type': 'tensorflow', 'model_path': 'input_trans.pb', 'output_tensor': 'transferred_input' } ] }");
    assertThat(problems(folder)).containsExactly("pipeline[1].input_tensor: 'in_images:0' of 'input_trans.pb' takes"
        + " encoded images (tf.string); only the first stage of a pipeline without an image stage is fed them");
  }

  /** A picture of seeded noise: nothing like {@link TestImages#picture}, so the two images score apart. */
  private static java.awt.image.BufferedImage noise(int width, int height) {
    java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(width, height,
        java.awt.image.BufferedImage.TYPE_INT_RGB);
    java.util.Random random = new java.util.Random(11);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, random.nextInt(1 << 24));
      }
    }
    return image;
  }

  /** A model folder holding {@code file}: the GraphDef of what {@code build} adds to an empty graph. */
  private Path graph(String file, java.util.function.Consumer<org.tensorflow.op.Ops> build) throws IOException {
    Path folder = dir.resolve("model");
    Files.createDirectories(folder);
    try (org.tensorflow.Graph graph = new org.tensorflow.Graph()) {
      build.accept(org.tensorflow.op.Ops.create(graph));
      Files.write(folder.resolve(file), graph.toGraphDef().toByteArray());
    }
    return folder;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (var paths = Files.walk(from)) {
      for (Path path : paths.toList()) {
        Path target = to.resolve(from.relativize(path).toString());
        if (Files.isDirectory(path)) {
          Files.createDirectories(target);
        } else {
          Files.copy(path, target);
        }
      }
    }
  }
}
