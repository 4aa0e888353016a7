package io.realtimeai.pipeline;

import static io.realtimeai.testing.ModelFolders.definition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl;
import io.realtimeai.bench.Benchmark;
import io.realtimeai.error.InvalidPackageException;
import io.realtimeai.error.UnprocessableException;
import io.realtimeai.generate.ModelGenerator;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.generate.OnnxGraphBuilder;
import io.realtimeai.packaging.ModelPackage;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestImages;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reused input buffers and batched engine runs, on real ONNX Runtime sessions. */
@Tag("integration")
class BatchingTest {
  private static final String IMAGE = ModelFolders.IMAGE_STAGE.replace('"', '\'');

  @TempDir Path dir;

  private static Pipeline load(Path folder) throws IOException {
    ModelPackage modelPackage = ModelPackage.openDirectory(folder);
    return Pipeline.load(modelPackage.root(), modelPackage.definition(), AcceleratedCatalog.none(),
        PipelineOptions.serving().withIntraOpThreads(1));
  }

  private Path tiny(String name, String batching) throws IOException {
    Path folder = dir.resolve(name);
    ModelFolders.model(folder, ModelKind.TINY, "tiny.onnx");
    definition(folder, "{ 'pipeline': [" + IMAGE + ", { 'type': 'onnx', 'model_path': 'tiny.onnx' } ]"
        + (batching == null ? "" : ", 'batching': " + batching) + " }");
    return folder;
  }

  @Test
  void predictImages_reusesItsInputAndOutputBuffersFromCallToCall() throws Exception {
    try (Pipeline pipeline = load(tiny("plain", null))) {
      byte[] jpeg = TestImages.jpeg();
      for (int i = 0; i < 30; i++) {
        pipeline.predictImages(List.of(jpeg));
      }
      assertThat(pipeline.buffersAllocated()).as("an input and an output buffer for 30 calls of one image").isEqualTo(2);
      pipeline.predictImages(List.of(jpeg, jpeg));
      pipeline.predictImages(List.of(jpeg, jpeg));
      assertThat(pipeline.buffersAllocated()).as("one more of each for the two-image size").isEqualTo(4);

      ExecutorService callers = Executors.newFixedThreadPool(4);
      try {
        List<Future<?>> calls = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
          calls.add(callers.submit(() -> pipeline.predictImages(List.of(jpeg))));
        }
        for (Future<?> call : calls) {
          call.get(60, TimeUnit.SECONDS);
        }
      } finally {
        callers.shutdownNow();
      }
      // Never more buffers of a size than calls running at once (4 threads, one of each already kept).
      assertThat(pipeline.buffersAllocated()).isBetween(4L, 4L + 2 * 3);
    }
  }

  @Test
  void warmUp_runsTheWarmUpBatch_soThatNoBatchUpToItAllocatesAnotherBuffer() throws Exception {
    Path folder = tiny("warm", null);
    byte[] jpeg = TestImages.jpeg();
    for (int warmUpBatch : new int[] {1, 8}) {
      ModelPackage modelPackage = ModelPackage.openDirectory(folder);
      try (Pipeline pipeline = Pipeline.load(modelPackage.root(), modelPackage.definition(), AcceleratedCatalog.none(),
          PipelineOptions.serving().withIntraOpThreads(1).withWarmUpBatch(warmUpBatch))) {
        pipeline.warmUp();
        long warm = pipeline.buffersAllocated();
        for (int images = 1; images <= 8; images++) {
          pipeline.predictImages(java.util.Collections.nCopies(images, jpeg));
        }
        if (warmUpBatch == 8) {
          assertThat(pipeline.buffersAllocated()).as("batches of 1 to 8 after a warm-up at 8").isEqualTo(warm);
        } else {
          assertThat(pipeline.buffersAllocated()).as("batches of 1 to 8 after a warm-up at 1").isGreaterThan(warm);
        }
      }
    }
  }

  @Test
  void warmUp_ofAModelThatTakesOneItemDespiteAFreeBatch_stillServesSingleItems() throws Exception {
    Path folder = dir.resolve("one-only");
    OnnxMl.ModelProto.Builder model = ModelGenerator.generate(ModelKind.TINY, 42).toBuilder();
    OnnxMl.GraphProto.Builder graph = model.getGraphBuilder();
    // Declares [batch, 3, 224, 224] and reshapes to [1, 3, 224, 224] first, as some exported models do.
    graph.getNodeBuilderList().forEach(node -> {
      for (int i = 0; i < node.getInputCount(); i++) {
        if (node.getInput(i).equals("images")) {
          node.setInput(i, "images_one");
        }
      }
    });
    graph.addInitializer(OnnxMl.TensorProto.newBuilder().setName("one_shape").addDims(4)
        .setDataType(OnnxMl.TensorProto.DataType.INT64_VALUE).addAllInt64Data(List.of(1L, 3L, 224L, 224L)));
    graph.addNode(0, OnnxMl.NodeProto.newBuilder().setOpType("Reshape").addInput("images").addInput("one_shape")
        .addOutput("images_one").setName("reshape_one"));
    java.nio.file.Files.createDirectories(folder);
    OnnxGraphBuilder.write(model.build(), folder.resolve("tiny.onnx"));
    definition(folder, "{ 'pipeline': [" + IMAGE + ", { 'type': 'onnx', 'model_path': 'tiny.onnx' } ] }");
    byte[] jpeg = TestImages.jpeg();

    try (Pipeline pipeline = load(folder)) {
      pipeline.warmUp();

      assertThat(pipeline.predictImages(List.of(jpeg)).values().iterator().next().shape()).containsExactly(1, 10);
      assertThatThrownBy(() -> pipeline.predictImages(List.of(jpeg, jpeg)))
          .as("the model really takes one item only").isInstanceOf(UnprocessableException.class);
    }
  }

  @Test
  void predictTensor_copiesAHeapInputIntoAReusedBuffer() throws Exception {
    try (Pipeline pipeline = load(ModelFolders.tinyVector(dir.resolve("vector")))) {
      for (int i = 0; i < 20; i++) {
        Tensor input = new Tensor(ElementType.FLOAT32, new long[] {1, 4},
            java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(0, i));
        assertThat(pipeline.predictTensor(input).values().iterator().next().shape()).containsExactly(1, 3);
      }
      assertThat(pipeline.buffersAllocated()).as("the input's copy and the output").isEqualTo(2);
    }
  }

  @Test
  void predictImages_answersStayTheCallersOwnWhenTheOutputBufferServesTheNextCall() throws Exception {
    try (Pipeline pipeline = load(tiny("own", null))) {
      byte[] dark = Benchmark.photoLikeJpeg(224, 224, 1);
      byte[] other = Benchmark.photoLikeJpeg(320, 240, 2);
      float[] alone = pipeline.predictImages(List.of(dark)).values().iterator().next().toFloats();

      Tensor first = pipeline.predictImages(List.of(dark)).values().iterator().next();
      float[] second = pipeline.predictImages(List.of(other)).values().iterator().next().toFloats();

      assertThat(second).isNotEqualTo(alone);
      assertThat(first.toFloats()).as("unchanged by the call after it").containsExactly(alone);
    }
  }

  @Test
  void batching_everyConcurrentCallerGetsTheAnswerItsImageGetsAlone() throws Exception {
    int callers = 8;
    List<byte[]> pictures = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      pictures.add(Benchmark.photoLikeJpeg(224 + 16 * i, 224, i + 1));
    }
    try (Pipeline alone = load(tiny("alone", null));
        Pipeline batched = load(tiny("batched", "{ 'max_batch': 8, 'max_queue_delay_us': 1000 }"))) {
      List<float[]> expected = new ArrayList<>();
      for (byte[] picture : pictures) {
        expected.add(alone.predictImages(List.of(picture)).get("output_alias").toFloats());
      }
      ExecutorService pool = Executors.newFixedThreadPool(callers);
      CountDownLatch start = new CountDownLatch(1);
      try {
        List<Future<List<float[]>>> answers = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
          byte[] picture = pictures.get(c);
          answers.add(pool.submit(() -> {
            start.await();
            List<float[]> mine = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
              mine.add(batched.predictImages(List.of(picture)).get("output_alias").toFloats());
            }
            return mine;
          }));
        }
        start.countDown();
        for (int c = 0; c < callers; c++) {
          for (float[] answer : answers.get(c).get(120, TimeUnit.SECONDS)) {
            assertThat(answer).as("caller %d's scores", c).hasSize(10);
            for (int k = 0; k < 10; k++) {
              assertThat(answer[k]).as("caller %d, score %d", c, k).isCloseTo(expected.get(c)[k], Offset.offset(1e-4f));
            }
          }
        }
      } finally {
        pool.shutdownNow();
      }
      long[] runs = batched.batchedRunCounts();
      assertThat(runs[1]).as("engine runs shared by several callers, of %d", runs[0]).isPositive();
      assertThat(runs[0]).as("engine runs for 200 calls").isLessThan(200);
    }
  }

  @Test
  void batching_aBadImageFailsOnlyItsOwnCall() throws Exception {
    try (Pipeline batched = load(tiny("batched", "{ 'max_batch': 4 }"))) {
      byte[] good = TestImages.jpeg();
      float[] expected = batched.predictImages(List.of(good)).get("output_alias").toFloats();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<float[]>> goods = new ArrayList<>();
        List<Future<?>> bads = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
          goods.add(pool.submit(() -> batched.predictImages(List.of(good)).get("output_alias").toFloats()));
          bads.add(pool.submit(() -> batched.predictImages(List.of(TestImages.truncatedJpeg()))));
        }
        for (Future<float[]> answer : goods) {
          assertThat(answer.get(60, TimeUnit.SECONDS)).containsExactly(expected);
        }
        for (Future<?> bad : bads) {
          assertThatThrownBy(() -> bad.get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(UnprocessableException.class)
              .cause().hasMessageStartingWith("input 'images'[0]:");
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void load_refusesBatchingForAModelWithAFixedBatch() throws Exception {
    Path folder = dir.resolve("fixed");
    OnnxMl.ModelProto.Builder model = ModelGenerator.generate(ModelKind.TINY, 42).toBuilder();
    model.getGraphBuilder().getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder().getShapeBuilder()
        .getDimBuilder(0).clearDimParam().setDimValue(1);
    java.nio.file.Files.createDirectories(folder);
    OnnxGraphBuilder.write(model.build(), folder.resolve("tiny.onnx"));
    definition(folder, "{ 'pipeline': [" + IMAGE + ", { 'type': 'onnx', 'model_path': 'tiny.onnx' } ],"
        + " 'batching': { 'max_batch': 4 } }");
    assertThatThrownBy(() -> load(folder)).isInstanceOf(InvalidPackageException.class)
        .extracting(e -> ((InvalidPackageException) e).details()).asList()
        .containsExactly("batching: 'tiny.onnx' takes [1, 3, 224, 224], a fixed batch; batching needs every"
            + " model's first input dimension free (-1 or a name)");
  }
}
