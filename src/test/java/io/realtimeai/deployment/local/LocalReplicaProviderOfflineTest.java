package io.realtimeai.deployment.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.realtimeai.catalog.AcceleratedModels;
import io.realtimeai.deployment.ReplicaSpec;
import io.realtimeai.deployment.ReplicaStatus;
import io.realtimeai.error.NotFoundException;
import io.realtimeai.pipeline.Accelerator;
import io.realtimeai.storage.Storage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the provider decides without storage or a runtime: refusals, unknown replicas, a pid that is not a runtime's. */
class LocalReplicaProviderOfflineTest {
  @TempDir Path dir;
  private LocalReplicaProvider provider;

  @BeforeEach
  void provider() {
    // Clients are only built here, never called: nothing listens on these ports.
    Storage storage = Storage.connect(Storage.azuriteConnectionString(1, 1, 1));
    provider = new LocalReplicaProvider(storage, new AcceleratedModels(storage, dir.resolve("catalog")),
        dir.resolve("replicas"), dir.resolve("realtime-ai.jar"));
  }

  @AfterEach
  void close() {
    provider.close();
  }

  private static ReplicaSpec spec(String serviceId, String replicaId, List<String> keys) {
    return new ReplicaSpec(serviceId, "scorer", replicaId, "tiny:1", "tiny/1/model.zip", null, List.of(),
        Accelerator.CPU, keys, null, null);
  }

  @Test
  void start_refusesIdsThatCouldLeaveTheStateDirectory() {
    assertThatThrownBy(() -> provider.start(spec("..", "r1", List.of("k"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'..' is not valid");
    assertThatThrownBy(() -> provider.start(spec("svc", "a/b", List.of("k"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a/b' is not valid");
    assertThat(dir.resolve("replicas")).isEmptyDirectory();
  }

  @Test
  void start_refusesAReplicaWithoutKeysOrWithAKeyThatIsNotOneLine() {
    assertThatThrownBy(() -> provider.start(spec("svc", "r1", List.of())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one key");
    assertThatThrownBy(() -> provider.start(spec("svc", "r1", List.of("a\nb"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line breaks");
  }

  @Test
  void unknownReplica_isGoneAndStopsQuietly() {
    assertThat(provider.status("svc", "r1")).isEqualTo(ReplicaStatus.gone());
    provider.stop("svc", "r1");
    assertThat(provider.replicas("svc")).isEmpty();
  }

  @Test
  void updateKeys_ofAnUnknownReplicaIsNotFound() {
    assertThatThrownBy(() -> provider.updateKeys("svc", "r1", List.of("k"))).isInstanceOf(NotFoundException.class);
  }

  @Test
  void pidFile_namingAnotherProcessIsNotTakenForTheReplica() throws Exception {
    // This JVM is alive, but its command line does not name the replica's folder: the pid was reused.
    Path folder = provider.folder("svc", "r1");
    Files.createDirectories(folder);
    long pid = ProcessHandle.current().pid();
    Files.writeString(folder.resolve(ReplicaFolder.PID), Long.toString(pid));
    Files.writeString(folder.resolve(ReplicaFolder.READY), "{\"port\":4711,\"accelerator\":\"CPU\",\"pid\":" + pid + "}");

    assertThat(provider.status("svc", "r1").state()).isEqualTo(ReplicaStatus.State.FAILED);

    provider.stop("svc", "r1");
    assertThat(ProcessHandle.current().isAlive()).isTrue();
    assertThat(folder).doesNotExist();
  }

  @Test
  void start_afterCloseIsRefused() {
    provider.close();
    assertThatThrownBy(() -> provider.start(spec("svc", "r1", List.of("k"))))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }
}
