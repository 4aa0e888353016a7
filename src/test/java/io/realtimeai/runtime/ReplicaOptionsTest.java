package io.realtimeai.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import io.realtimeai.proto.serving.GetModelMetadataRequest;
import io.realtimeai.proto.serving.ModelSpec;
import io.realtimeai.proto.serving.PredictionServiceGrpc;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a runtime started as a provider's replica adds: the ready file and the replica header. */
@Tag("integration")
class ReplicaOptionsTest {
  private static final Metadata.Key<String> REPLICA =
      Metadata.Key.of(ScoringRuntime.REPLICA_HEADER, Metadata.ASCII_STRING_MARSHALLER);

  @TempDir static Path dir;
  static Path folder;

  @BeforeAll
  static void model() throws Exception {
    folder = ModelFolders.tinyClassifier(dir.resolve("tiny"));
  }

  private static RuntimeSettings replica(Path readyFile, String replicaId) {
    return new RuntimeSettings("tiny", 0, null, KeyRing.of(List.of("k")), null, null, 1 << 20,
        Duration.ofSeconds(5), readyFile, replicaId);
  }

  @Test
  void readyFile_isWrittenOnceServingAndRemovedOnStop() throws Exception {
    Path readyFile = dir.resolve("replica/ready");
    ScoringRuntime runtime = new ScoringRuntime(replica(readyFile, null)).listen();
    try {
      assertThat(readyFile).as("not ready while loading").doesNotExist();

      runtime.serve(RuntimeHarness.loader(folder).call());

      JsonNode ready = new ObjectMapper().readTree(Files.readString(readyFile));
      assertThat(ready.get("port").asInt()).isEqualTo(runtime.port());
      assertThat(ready.get("accelerator").asText()).isEqualTo("CPU");
      assertThat(ready.get("intraOpThreads").asInt()).isEqualTo(1);
      assertThat(ready.get("threads").asText()).startsWith("1 intra-op threads (set by --intra-op-threads");
      assertThat(ready.get("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
      assertThat(readyFile.resolveSibling("ready.partial")).doesNotExist();
    } finally {
      runtime.stop();
    }
    assertThat(readyFile).as("removed on stop").doesNotExist();
  }

  @Test
  void replicaHeader_namesTheReplicaOnPredictMetadataAndRefusedCalls() throws Exception {
    ScoringRuntime runtime = new ScoringRuntime(replica(null, "replica-7")).start(RuntimeHarness.loader(folder));
    ManagedChannel channel = RuntimeHarness.channel(runtime.port());
    try {
      AtomicReference<Metadata> headers = new AtomicReference<>();
      AtomicReference<Metadata> trailers = new AtomicReference<>();
      var capture = MetadataUtils.newCaptureMetadataInterceptor(headers, trailers);

      RuntimeHarness.stub(channel, "Bearer k").withInterceptors(capture).predict(RuntimeHarness.image(TestImages.jpeg()));
      assertThat(headers.get().get(REPLICA)).isEqualTo("replica-7");

      headers.set(null);
      RuntimeHarness.stub(channel, "k").withInterceptors(capture).getModelMetadata(GetModelMetadataRequest.newBuilder()
          .setModelSpec(ModelSpec.newBuilder().setName("tiny")).addMetadataField("accelerator").build());
      assertThat(headers.get().get(REPLICA)).isEqualTo("replica-7");

      PredictionServiceGrpc.PredictionServiceBlockingStub wrongKey =
          RuntimeHarness.stub(channel, "Bearer wrong").withInterceptors(capture);
      ScoringRuntimeTest.assertRefused(() -> wrongKey.predict(RuntimeHarness.image(TestImages.jpeg())),
          Status.Code.UNAUTHENTICATED, "not valid");
      assertThat(trailers.get().get(REPLICA)).as("a refused call names its replica too").isEqualTo("replica-7");

      headers.set(null);
      HealthGrpc.newBlockingStub(channel).withInterceptors(capture).check(HealthCheckRequest.getDefaultInstance());
      assertThat(headers.get().get(REPLICA)).as("health is not a model call").isNull();
    } finally {
      channel.shutdownNow();
      runtime.stop();
    }
  }

  @Test
  void replicaHeader_isAbsentWithoutAReplicaId() throws Exception {
    ScoringRuntime runtime = new ScoringRuntime(replica(null, null)).start(RuntimeHarness.loader(folder));
    ManagedChannel channel = RuntimeHarness.channel(runtime.port());
    try {
      AtomicReference<Metadata> headers = new AtomicReference<>();
      AtomicReference<Metadata> trailers = new AtomicReference<>();
      RuntimeHarness.stub(channel, "k").withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
          .predict(RuntimeHarness.image(TestImages.jpeg()));
      assertThat(headers.get().get(REPLICA)).isNull();
    } finally {
      channel.shutdownNow();
      runtime.stop();
    }
  }

  @Test
  void settings_refuseAReplicaIdThatCannotBeAHeader() {
    assertThatThrownBy(() -> replica(null, "two words"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("printable ASCII");
  }
}
