package io.realtimeai.deployment.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A replica's folder: the runtime's reason in its stderr, owner-only secrets, keys the runtime sees change. */
class ReplicaFolderTest {
  @TempDir Path dir;

  @Test
  void reason_isTheRuntimesErrorLineWithItsDetailsNotTheShutdownLineAfterIt() {
    List<String> stderr = List.of(
        "06:13:01 INFO io.realtimeai.pipeline.Pipeline: loading tiny.onnx",
        "realtime-ai: the package is not valid (2 problems):",
        "  - pipeline[1].model_path: file 'tiny.onnx' is not in the package",
        "  - labels: file 'labels.txt' is not in the package",
        "realtime-ai runtime: stopped");

    assertThat(ReplicaFolder.reason(stderr)).contains("realtime-ai: the package is not valid (2 problems):"
        + " - pipeline[1].model_path: file 'tiny.onnx' is not in the package"
        + " - labels: file 'labels.txt' is not in the package");
  }

  @Test
  void reason_isTheLastLinesWhenTheRuntimeNeverSaidWhy() {
    List<String> stderr = List.of("one", "two", "", "three", "four", "five", "six");

    assertThat(ReplicaFolder.reason(stderr)).contains("two | three | four | five | six");
  }

  @Test
  void reason_isEmptyForASilentStderr() {
    assertThat(ReplicaFolder.reason(List.of("", "  "))).isEmpty();
  }

  @Test
  void writeKeys_isOwnerOnlyAndOneKeyPerLine() throws Exception {
    ReplicaFolder folder = new ReplicaFolder(dir.resolve("svc/r1"));

    folder.writeKeys(List.of("primary", "secondary"));

    Path keys = folder.path(ReplicaFolder.KEYS);
    assertThat(Files.readAllLines(keys)).containsExactly("primary", "secondary");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keys))).isEqualTo("rw-------");
    assertThat(folder.keys()).containsExactly("primary", "secondary");
    try (var left = Files.list(folder.root())) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactly(ReplicaFolder.KEYS);
    }
  }

  @Test
  void writeKeys_movesTheFileTimePastTheOldOneSoTheRuntimeRereadsKeysOfTheSameLength() throws Exception {
    ReplicaFolder folder = new ReplicaFolder(dir.resolve("svc/r1"));
    folder.writeKeys(List.of("key-a"));
    Path keys = folder.path(ReplicaFolder.KEYS);
    FileTime future = FileTime.fromMillis(System.currentTimeMillis() + 60_000);
    Files.setLastModifiedTime(keys, future);

    folder.writeKeys(List.of("key-b"));

    assertThat(Files.getLastModifiedTime(keys)).isGreaterThan(future);
    assertThat(folder.keys()).containsExactly("key-b");
  }

  @Test
  void writeTls_isOwnerOnlyAndRemovedForPlaintext() throws Exception {
    ReplicaFolder folder = new ReplicaFolder(dir.resolve("svc/r1"));

    folder.writeTls("CERT", "KEY");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder.path(ReplicaFolder.TLS_KEY))))
        .isEqualTo("rw-------");
    assertThat(folder.path(ReplicaFolder.TLS_CERTIFICATE)).hasContent("CERT");

    folder.writeTls(null, null);
    assertThat(folder.path(ReplicaFolder.TLS_CERTIFICATE)).doesNotExist();
    assertThat(folder.path(ReplicaFolder.TLS_KEY)).doesNotExist();
  }

  @Test
  void resetForRun_clearsTheLastRunAndKeepsItsLogsAsPrevious() throws Exception {
    ReplicaFolder folder = new ReplicaFolder(dir.resolve("svc/r1"));
    Files.createDirectories(folder.root());
    for (String name : List.of(ReplicaFolder.PID, ReplicaFolder.READY, ReplicaFolder.PORT, ReplicaFolder.FAILURE)) {
      Files.writeString(folder.path(name), "old");
    }
    Files.writeString(folder.path(ReplicaFolder.STDERR), "realtime-ai: old reason");

    folder.resetForRun();

    assertThat(folder.pid()).isEmpty();
    assertThat(folder.ready()).isEmpty();
    assertThat(folder.failure()).isEmpty();
    assertThat(folder.stderrReason()).isEmpty();
    assertThat(folder.path(ReplicaFolder.STDERR + ".previous")).hasContent("realtime-ai: old reason");
  }

  @Test
  void ready_readsWhatTheRuntimeWrites() throws Exception {
    ReplicaFolder folder = new ReplicaFolder(dir.resolve("svc/r1"));
    Files.createDirectories(folder.root());
    Files.writeString(folder.path(ReplicaFolder.READY), "{\"port\":4711,\"accelerator\":\"CPU\",\"pid\":42}");

    assertThat(folder.ready()).contains(new ReplicaFolder.Ready(4711, "CPU", 42));
  }
}
