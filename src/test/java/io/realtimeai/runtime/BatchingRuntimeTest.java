package io.realtimeai.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.realtimeai.bench.Benchmark;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.proto.serving.PredictResponse;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestImages;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A runtime whose definition asks for batching, called by many gRPC callers at once. */
@Tag("integration")
class BatchingRuntimeTest {
  @TempDir Path dir;

  private static float[] scores(PredictResponse response) {
    java.nio.FloatBuffer values = response.getOutputsOrThrow("output_alias").getTensorContent()
        .asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] out = new float[values.remaining()];
    values.get(out);
    return out;
  }

  @Test
  void predict_concurrentCallersEachGetTheirOwnImagesAnswerAndABadImageFailsOnlyItsCall() throws Exception {
    Path folder = dir.resolve("batched");
    ModelFolders.model(folder, ModelKind.TINY, "tiny.onnx");
    ModelFolders.definition(folder, "{ 'pipeline': [" + ModelFolders.IMAGE_STAGE.replace('"', '\'')
        + ", { 'type': 'onnx', 'model_path': 'tiny.onnx' } ], 'batching': { 'max_batch': 8, 'max_queue_delay_us': 500 } }");
    List<byte[]> pictures = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      pictures.add(Benchmark.photoLikeJpeg(224, 224 + 24 * i, 100 + i));
    }
    ScoringRuntime runtime = new ScoringRuntime(RuntimeSettings.loopback()).start(RuntimeHarness.loader(folder));
    ManagedChannel channel = RuntimeHarness.channel(runtime.port());
    ExecutorService callers = Executors.newFixedThreadPool(8);
    try {
      var stub = RuntimeHarness.stub(channel, null);
      List<float[]> alone = new ArrayList<>();
      for (byte[] picture : pictures) {
        alone.add(scores(stub.predict(RuntimeHarness.image(picture))));
      }
      List<Future<float[]>> answers = new ArrayList<>();
      List<Future<Status>> refusals = new ArrayList<>();
      for (int round = 0; round < 15; round++) {
        for (byte[] picture : pictures) {
          answers.add(callers.submit(() -> scores(RuntimeHarness.stub(channel, null).predict(RuntimeHarness.image(picture)))));
        }
        refusals.add(callers.submit(() -> {
          try {
            RuntimeHarness.stub(channel, null).predict(RuntimeHarness.image(TestImages.truncatedJpeg()));
            return Status.OK;
          } catch (io.grpc.StatusRuntimeException e) {
            return e.getStatus();
          }
        }));
      }
      for (int i = 0; i < answers.size(); i++) {
        float[] expected = alone.get(i % pictures.size());
        float[] got = answers.get(i).get(60, TimeUnit.SECONDS);
        assertThat(got).as("call %d, picture %d", i, i % pictures.size()).hasSameSizeAs(expected);
        for (int k = 0; k < got.length; k++) {
          assertThat(got[k]).isCloseTo(expected[k], org.assertj.core.data.Offset.offset(1e-4f));
        }
      }
      for (Future<Status> refusal : refusals) {
        Status status = refusal.get(60, TimeUnit.SECONDS);
        assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(status.getDescription()).startsWith("input 'images'[0]:");
      }
    } finally {
      callers.shutdownNow();
      channel.shutdownNow();
      runtime.stop();
    }
  }
}
