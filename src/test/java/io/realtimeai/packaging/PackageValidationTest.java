package io.realtimeai.packaging;

import static io.realtimeai.testing.ModelFolders.definition;
import static io.realtimeai.testing.ModelFolders.model;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.realtimeai.error.InvalidPackageException;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.pipeline.Pipeline;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TensorflowGraphs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Packing a folder checks it as the runtime will load it, and names every problem. */
@Tag("integration")
class PackageValidationTest {
  private static final String IMAGE = ModelFolders.IMAGE_STAGE.replace('"', '\'');

  @TempDir Path dir;
  Path folder;
  AcceleratedCatalog catalog;

  @BeforeEach
  void catalog() throws IOException {
    folder = dir.resolve("model");
    Files.createDirectories(folder);
    model(dir.resolve("catalog/tiny/1"), ModelKind.TINY_FEATURIZER, "model.onnx");
    catalog = new AcceleratedCatalog(dir.resolve("catalog"));
  }

  private List<String> problems() {
    InvalidPackageException e = catchThrowableOfType(InvalidPackageException.class,
        () -> ModelPackager.pack(folder, dir.resolve("model.zip"), catalog));
    assertThat(e).as("refused").isNotNull();
    assertThat(dir.resolve("model.zip")).as("nothing written").doesNotExist();
    return e.details();
  }

  @Test
  void pack_writesAPackageOfTheDefinitionAndTheFilesItNames() throws IOException {
    ModelFolders.tinyClassifier(folder);
    Files.writeString(folder.resolve("notes.txt"), "not part of the package");

    ModelPackager.Packed packed = ModelPackager.pack(folder, dir.resolve("model.zip"), catalog);

    assertThat(packed.files()).containsExactly("labels.txt", "service_def.json", "tiny.onnx");
    assertThat(packed.sha256()).hasSize(64).isEqualTo(ModelPackager.sha256(dir.resolve("model.zip")));
    assertThat(packed.pipeline().warnings()).isEmpty();
  }

  @Test
  void pack_acceptsAFeaturizerFromTheCatalogFollowedByAHead() throws IOException {
    model(folder, ModelKind.TINY_HEAD, "head.onnx");
    definition(folder, "{ 'pipeline': [" + IMAGE + ", { 'type': 'brainwave', 'model_ref': 'tiny', 'model_version': '1',"
        + " 'output_tensor_dims': [8] }, { 'type': 'onnx', 'model_path': 'head.onnx', 'input_tensor': 'features:0' } ] }");

    assertThat(ModelPackager.pack(folder, dir.resolve("model.zip"), catalog).files())
        .containsExactly("head.onnx", "service_def.json");
  }

  @Test
  void pack_withoutACatalogWarnsThatTheAcceleratedStageWasNotChecked() throws IOException {
    model(folder, ModelKind.TINY_HEAD, "head.onnx");
    definition(folder, "{ 'pipeline': [" + IMAGE + ", { 'type': 'brainwave', 'model_ref': 'resnet50', 'model_version': '1' },"
        + " { 'type': 'onnx', 'model_path': 'head.onnx' } ] }");

    ModelPackager.Packed packed = ModelPackager.pack(folder, dir.resolve("model.zip"), AcceleratedCatalog.none());

    assertThat(packed.pipeline().warnings()).containsExactly(
        "pipeline[1].model_ref: 'resnet50/1' not checked: no accelerated model catalog given");
  }

  @Test
  void pack_refusesAMissingFile() throws IOException {
    ModelFolders.labels(folder, 10);
    definition(folder, "{ 'pipeline': [" + IMAGE + ", { 'type': 'onnx', 'model_path': 'x.onnx' } ], 'labels': 'labels.txt' }");
    assertThat(problems()).containsExactly("pipeline[1].model_path: file 'x.onnx' is not in the package");
  }

  @Test
  void pack_refusesAFileThatIsNotAnOnnxModel() throws IOException {
    Files.writeString(folder.resolve("m.onnx"), "not a model");
    definition(folder, "{ 'pipeline': [ { 'type': 'onnx', 'model_path': 'm.onnx' } ] }");
    assertThat(problems()).singleElement().asString()
        .startsWith("pipeline[0].model_path: 'm.onnx' is not a loadable ONNX model: ");
  }

  @Test
  void pack_refusesAPathOutsideThePackage() throws IOException {
    definition(folder, "{ 'pipeline': [ { 'type': 'onnx', 'model_path': '../m.onnx' } ] }");
    assertThat(problems()).containsExactly(
        "pipeline[0].model_path: '../m.onnx' must be a relative path inside the package (it escapes the package root)");
  }

  @Test
  void pack_refusesInvalidJsonWithLineAndColumn() throws IOException {
    Files.writeString(folder.resolve("service_def.json"), "{\n  \"pipeline\": [\n    { \"type\": \"onnx\" \n  ]\n}");
    assertThat(problems()).singleElement().asString().startsWith("service_def.json: invalid JSON at line 4, column 3");
  }

  @Test
  void pack_refusesAnUnknownStageType() throws IOException {
    definition(folder, "{ 'pipeline': [ { 'type': 'caffe', 'model_path': 'm.caffemodel' } ] }");
    assertThat(problems()).singleElement().asString().startsWith("pipeline[0].type: unknown stage type 'caffe'");
  }

  @Test
  void pack_carriesTheWalkthroughGraphsAndASavedModelFolderWhole() throws IOException {
    TensorflowGraphs.walkthroughFolder(folder, 10);
    TensorflowGraphs.savedModel(folder.resolve("classifier"), 10, 7);
    TensorflowGraphs.featurizer(dir.resolve("catalog/resnet50/1.1.6-rc/model.onnx"), 3);
    definition(folder, "{ 'pipeline': [ { 'type': 'tensorflow', 'model_path': 'input_trans.pb' },"
        + " { 'type': 'brainwave', 'model_ref': 'resnet50', 'model_version': '1.1.6-rc' },"
        + " { 'type': 'tensorflow', 'model_path': 'classifier' } ] }");

    ModelPackager.Packed packed = ModelPackager.pack(folder, dir.resolve("model.zip"), catalog);

    List<String> savedModel;
    try (var inside = Files.walk(folder.resolve("classifier"))) {
      savedModel = inside.filter(Files::isRegularFile).map(f -> folder.relativize(f).toString()).toList();
    }
    assertThat(savedModel).contains("classifier/saved_model.pb");
    assertThat(packed.files()).containsAll(savedModel).contains("input_trans.pb", "service_def.json")
        .doesNotContain("resnet50_classifier.pb");
    assertThat(packed.pipeline().stages()).extracting(Pipeline.StageSignature::type)
        .containsExactly("tensorflow", "accelerated", "tensorflow");
  }

  @Test
  void pack_refusesATensorflowGraphThatIsNotThere() throws IOException {
    definition(folder, "{ 'pipeline': [ { 'type': 'tensorflow', 'model_path': 'frozen.pb' } ] }");
    assertThat(problems()).containsExactly("pipeline[0].model_path: file 'frozen.pb' is not in the package");
  }

  @Test
  void pack_refusesTwoAcceleratedStages() throws IOException {
    definition(folder, "{ 'pipeline': [" + IMAGE + ", { 'type': 'brainwave', 'model_ref': 'tiny', 'model_version': '1' },"
        + " { 'type': 'accelerated', 'model_ref': 'tiny', 'model_version': '1' } ] }");
    assertThat(problems()).containsExactly(
        "pipeline[2].type: at most one accelerated stage per pipeline, and pipeline[1] is one already");
  }

  @Test
  void pack_refusesStagesWhoseNamesDoNotChain() throws IOException {
    model(folder, ModelKind.TINY_HEAD, "head.onnx");
    definition(folder, "{ 'pipeline': [" + IMAGE + ", { 'type': 'brainwave', 'model_ref': 'tiny', 'model_version': '1',"
        + " 'output_tensor': 'logits' }, { 'type': 'onnx', 'model_path': 'head.onnx', 'input_tensor': 'Input:0' } ] }");
    assertThat(problems()).containsExactly(
        "pipeline[1].output_tensor: 'logits' is not an output of accelerated model 'tiny/1' (outputs: features)",
        "pipeline[2].input_tensor: 'Input:0' is not an input of 'head.onnx' (inputs: features)");
  }

  @Test
  void pack_refusesStagesWhoseShapesDoNotChain() throws IOException {
    model(folder, ModelKind.TINY, "tiny.onnx");
    definition(folder, "{ 'pipeline': [" + IMAGE + ", { 'type': 'brainwave', 'model_ref': 'tiny', 'model_version': '1' },"
        + " { 'type': 'onnx', 'model_path': 'tiny.onnx' } ] }");
    assertThat(problems()).containsExactly(
        "pipeline[2].input_tensor: 'images' of 'tiny.onnx' takes [batch, 3, 224, 224] but pipeline[1] produces [batch, 8]");
  }

  @Test
  void pack_refusesOutputDimsThatDoNotMatch() throws IOException {
    model(folder, ModelKind.TINY_HEAD, "head.onnx");
    definition(folder, "{ 'pipeline': [" + IMAGE + ", { 'type': 'brainwave', 'model_ref': 'tiny', 'model_version': '1',"
        + " 'output_tensor_dims': [1, 1, 2048] }, { 'type': 'onnx', 'model_path': 'head.onnx' } ] }");
    assertThat(problems()).containsExactly("pipeline[1].output_tensor_dims: [1, 1, 2048] does not match output 'features'"
        + " [batch, 8] of accelerated model 'tiny/1' (the batch dimension is free)");
  }

  @Test
  void pack_refusesAnAcceleratedModelMissingFromTheCatalog() throws IOException {
    model(folder, ModelKind.TINY_HEAD, "head.onnx");
    definition(folder, "{ 'pipeline': [" + IMAGE + ", { 'type': 'brainwave', 'model_ref': 'resnet50', 'model_version': '1' },"
        + " { 'type': 'onnx', 'model_path': 'head.onnx' } ] }");
    assertThat(problems()).singleElement().asString()
        .startsWith("pipeline[1].model_ref: 'resnet50/1' is not in the accelerated model catalog");
  }

  @Test
  void pack_refusesAnImageLayoutTheModelDoesNotTakeAndSaysWhichItTakes() throws IOException {
    model(folder, ModelKind.TINY, "tiny.onnx");
    definition(folder, "{ 'pipeline': [ { 'type': 'image', 'size': [224, 224], 'layout': 'NHWC' },"
        + " { 'type': 'onnx', 'model_path': 'tiny.onnx' } ] }");
    assertThat(problems()).containsExactly("pipeline[1].input_tensor: 'images' of 'tiny.onnx' takes [batch, 3, 224, 224]"
        + " but the image stage produces [batch, 224, 224, 3] (layout NHWC); set the image stage's layout to NCHW");
  }

  @Test
  void pack_refusesLabelsThatDoNotMatchTheClasses() throws IOException {
    ModelFolders.tinyClassifier(folder);
    ModelFolders.labels(folder, 9);
    assertThat(problems()).containsExactly("labels: 'labels.txt' has 9 lines but output 'scores' [batch, 10] has 10 classes");
  }

  @Test
  void pack_reportsEveryProblemAtOnce() throws IOException {
    definition(folder, "{ 'pipeline': [" + IMAGE + ", { 'type': 'onnx', 'model_path': 'a.onnx' } ], 'labels': 'l.txt' }");
    assertThat(problems()).containsExactly(
        "pipeline[1].model_path: file 'a.onnx' is not in the package", "labels: file 'l.txt' is not in the package");
  }
}
