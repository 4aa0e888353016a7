package io.realtimeai.deployment.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.realtimeai.packaging.PackageArchive;
import io.realtimeai.pipeline.AcceleratedCatalog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One replica's folder, {@code stateDir/{serviceId}/{replicaId}/}: what its runtime is started
 * with (package, catalog, keys, TLS material) and what it writes back (port, ready file, logs).
 * Every file another process reads is written to a temporary file and moved into place, so a
 * reader never sees half of one; keys and TLS material are readable by their owner only.
 */
final class ReplicaFolder {
  static final String PACKAGE = "package.zip";
  static final String CATALOG = "catalog";
  static final String KEYS = "keys";
  static final String TLS_CERTIFICATE = "cert.pem";
  static final String TLS_KEY = "key.pem";
  static final String PORT = "port";
  static final String READY = "ready";
  static final String PID = "pid";
  static final String STDOUT = "stdout.log";
  static final String STDERR = "stderr.log";
  static final String LAUNCH = "replica.json";
  static final String FAILURE = "failure";
  static final String WORK = "work";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String RUNTIME_ERROR = "realtime-ai: ";
  private static final int TAIL_BYTES = 64 * 1024;
  private static final int TAIL_LINES = 5;
  private static final int MAX_REASON_CHARS = 2000;

  private final Path root;

  /**
   * What the runtime's ready file says.
   *
   * @param port the port it serves on
   * @param accelerator the execution provider it really runs on
   * @param pid the process that wrote it
   */
  record Ready(int port, String accelerator, long pid) {}

  ReplicaFolder(Path root) {
    this.root = root;
  }

  /** The folder. */
  Path root() {
    return root;
  }

  /** A file in the folder. */
  Path path(String name) {
    return root.resolve(name);
  }

  /** True when the folder is there. */
  boolean exists() {
    return Files.isDirectory(root);
  }

  /**
   * Clears what an earlier run left (pid, port, ready file, failure, package, catalog, extracted
   * files) so that nothing of it is mistaken for the new run's; its logs are kept as {@code *.previous}.
   */
  void resetForRun() throws IOException {
    Files.createDirectories(root);
    for (String name : List.of(PID, PORT, READY, FAILURE, PACKAGE)) {
      Files.deleteIfExists(path(name));
    }
    PackageArchive.deleteTree(path(CATALOG));
    PackageArchive.deleteTree(path(WORK));
    for (String log : List.of(STDOUT, STDERR)) {
      if (Files.exists(path(log))) {
        Files.move(path(log), path(log + ".previous"), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  /** The pid written when the runtime was started, if any. */
  OptionalLong pid() {
    try {
      return OptionalLong.of(Long.parseLong(Files.readString(path(PID)).strip()));
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** Records the runtime's pid. */
  void writePid(long pid) throws IOException {
    writeAtomically(path(PID), Long.toString(pid), false);
  }

  /** Forgets the runtime's pid and readiness: it was stopped, the rest of the folder stays. */
  void forgetRun() throws IOException {
    Files.deleteIfExists(path(PID));
    Files.deleteIfExists(path(READY));
  }

  /** What the runtime wrote once serving, if it did (and the file reads as such). */
  Optional<Ready> ready() {
    try {
      JsonNode ready = JSON.readTree(Files.readString(path(READY)));
      return Optional.of(new Ready(ready.path("port").asInt(), ready.path("accelerator").asText(null),
          ready.path("pid").asLong()));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** What the replica was last started with. */
  Optional<LaunchRecord> launch() {
    try {
      return Optional.of(JSON.readValue(path(LAUNCH).toFile(), LaunchRecord.class));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Records what the replica is being started with. */
  void writeLaunch(LaunchRecord record) throws IOException {
    writeAtomically(path(LAUNCH), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(record), false);
  }

  /** Why preparing the replica failed, when it did. */
  Optional<String> failure() {
    try {
      return Optional.of(Files.readString(path(FAILURE)));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Records why preparing the replica failed. */
  void writeFailure(String reason) throws IOException {
    writeAtomically(path(FAILURE), reason, false);
  }

  /** The keys in the key file. */
  List<String> keys() {
    try {
      return Files.readAllLines(path(KEYS), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return List.of();
    }
  }

  /**
   * Replaces the key file, which the runtime re-reads when its modification time or size changes.
   * Two writes within the file system's timestamp granularity (a few milliseconds) of keys of the
   * same length would look unchanged, so the new file's time is moved past the old one's.
   */
  void writeKeys(List<String> keys) throws IOException {
    Path file = path(KEYS);
    FileTime before = Files.exists(file) ? Files.getLastModifiedTime(file) : null;
    writeAtomically(file, String.join("\n", keys) + "\n", true);
    if (before != null && Files.getLastModifiedTime(file).compareTo(before) <= 0) {
      Files.setLastModifiedTime(file, FileTime.fromMillis(before.toMillis() + 1));
    }
  }

  /** Writes the TLS certificate and key, or removes them when {@code certificate} is null. */
  void writeTls(String certificate, String key) throws IOException {
    if (certificate == null) {
      Files.deleteIfExists(path(TLS_CERTIFICATE));
      Files.deleteIfExists(path(TLS_KEY));
      return;
    }
    writeAtomically(path(TLS_CERTIFICATE), certificate, true);
    writeAtomically(path(TLS_KEY), key, true);
  }

  /** Puts the cached package into the folder (a hard link: replicas of one model share one copy). */
  void linkPackage(Path cached) throws IOException {
    link(cached, path(PACKAGE));
  }

  /** Puts the catalog entries {@code refVersions} of the catalog at {@code catalogRoot} into the folder's catalog. */
  void linkCatalog(Path catalogRoot, Collection<String> refVersions) throws IOException {
    Path catalog = Files.createDirectories(path(CATALOG));
    for (String refVersion : refVersions) {
      Path model = catalogRoot.resolve(refVersion).resolve(AcceleratedCatalog.MODEL_FILE);
      // An entry the catalog left out (missing, invalid) stays out: the runtime then names it in its reason.
      if (Files.isRegularFile(model)) {
        Path target = catalog.resolve(refVersion).resolve(model.getFileName().toString());
        Files.createDirectories(target.getParent());
        link(model, target);
      }
    }
  }

  /** Why the runtime stopped, in its own words: its one-line error, else the last lines of its stderr. */
  Optional<String> stderrReason() {
    return reason(tail(path(STDERR)));
  }

  /**
   * The reason in a runtime's stderr: its last {@code realtime-ai: …} line with the detail lines
   * below it, else its last few lines; empty when it wrote nothing.
   */
  static Optional<String> reason(List<String> lines) {
    List<String> written = lines.stream().map(String::stripTrailing).filter(line -> !line.isBlank()).toList();
    int error = -1;
    for (int i = 0; i < written.size(); i++) {
      if (written.get(i).startsWith(RUNTIME_ERROR)) {
        error = i;
      }
    }
    List<String> picked = new ArrayList<>();
    if (error >= 0) {
      picked.add(written.get(error));
      for (int i = error + 1; i < written.size() && written.get(i).startsWith("  - "); i++) {
        picked.add(written.get(i).strip());
      }
    } else {
      picked.addAll(written.subList(Math.max(0, written.size() - TAIL_LINES), written.size()));
    }
    if (picked.isEmpty()) {
      return Optional.empty();
    }
    String reason = String.join(error >= 0 ? " " : " | ", picked);
    return Optional.of(reason.length() > MAX_REASON_CHARS ? reason.substring(0, MAX_REASON_CHARS) + " …" : reason);
  }

  /** Deletes the folder and everything in it. */
  void delete() {
    PackageArchive.deleteTree(root);
  }

  // Only the end of a log matters, and a runtime that logged for days has a long one.
  private static List<String> tail(Path log) {
    try (SeekableByteChannel channel = Files.newByteChannel(log)) {
      long size = channel.size();
      ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(size, TAIL_BYTES));
      channel.position(size - buffer.capacity());
      while (buffer.hasRemaining() && channel.read(buffer) > 0) {
        // read to the end
      }
      List<String> lines = new ArrayList<>(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8)
          .lines().toList());
      if (size > TAIL_BYTES && !lines.isEmpty()) {
        lines.remove(0);
      }
      return lines;
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      return List.of("(cannot read " + log + ": " + e.getMessage() + ")");
    }
  }

  /** Writes {@code content} to a temporary file beside {@code file} and moves it into place; {@code secret}: mode 600. */
  static void writeAtomically(Path file, String content, boolean secret) throws IOException {
    Path dir = Files.createDirectories(file.getParent());
    Path partial = secret && dir.getFileSystem().supportedFileAttributeViews().contains("posix")
        // Created 600, so the secret is never readable by others, not even for a moment.
        ? Files.createTempFile(dir, "." + file.getFileName(), ".partial",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
        : Files.createTempFile(dir, "." + file.getFileName(), ".partial");
    try {
      Files.writeString(partial, content, StandardCharsets.UTF_8);
      Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  // A hard link costs no space and survives the cache replacing its file; across file systems it is a copy.
  private static void link(Path source, Path target) throws IOException {
    Path partial = target.resolveSibling("." + target.getFileName() + ".partial");
    Files.deleteIfExists(partial);
    try {
      Files.createLink(partial, source);
    } catch (UnsupportedOperationException | IOException e) {
      Files.copy(source, partial, StandardCopyOption.REPLACE_EXISTING);
    }
    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
