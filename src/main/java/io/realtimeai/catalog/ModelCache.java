package io.realtimeai.catalog;

import io.realtimeai.pipeline.AcceleratedCatalog;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The local copy of catalog models, laid out as an {@link AcceleratedCatalog} directory:
 * {@code {root}/{ref}/{version}/model.onnx}, each beside a {@code model.onnx.sha256} naming the
 * content it holds, so that a model is downloaded once per content and replaced when the catalog's
 * entry changes.
 *
 * <p>Why it is safe to share. A model file is written whole under {@code .incoming/} and renamed
 * into place, so a reader sees the old file or the new one, never half of one. Changes to one
 * entry are serialised by a lock in this process and a file lock across processes; under it the
 * digest file is removed before the model is replaced and written after, so it never names
 * content that is not there.
 */
final class ModelCache {
  /** The digest file beside each cached model. */
  static final String DIGEST_FILE = AcceleratedCatalog.MODEL_FILE + ".sha256";
  private static final String LOCK_FILE = ".lock";
  private static final String INCOMING = ".incoming";

  private final Path root;
  private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

  /** Where a model comes from: writes one version into a file and answers its SHA-256, or empty when it is gone. */
  interface Source {
    Optional<String> copyTo(Path file) throws IOException;
  }

  ModelCache(Path root) {
    this.root = root;
  }

  /** The cache directory. */
  Path root() {
    return root;
  }

  /** A new empty file on the cache's file system, for a download that will be renamed into place or deleted. */
  Path incomingFile() throws IOException {
    Path incoming = Files.createDirectories(root.resolve(INCOMING));
    return Files.createTempFile(incoming, "model-", ".onnx");
  }

  /**
   * Makes sure {@code ref/version} holds the content whose SHA-256 is {@code sha256}, copying it
   * from {@code source} unless it is there already.
   *
   * @return false when the source no longer has that content; the entry is then left out of the cache
   */
  boolean ensure(String ref, String version, String sha256, Source source) throws IOException {
    return locked(ref, version, dir -> {
      Path model = dir.resolve(AcceleratedCatalog.MODEL_FILE);
      Path digest = dir.resolve(DIGEST_FILE);
      if (Files.isRegularFile(model) && sha256.equals(readDigest(digest))) {
        return true;
      }
      Path download = incomingFile();
      try {
        Optional<String> copied = source.copyTo(download);
        if (copied.isEmpty() || !copied.get().equals(sha256)) {
          remove(dir);
          return false;
        }
        Files.deleteIfExists(digest);
        Files.move(download, model, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Path digestDraft = incomingFile();
        Files.writeString(digestDraft, sha256, StandardCharsets.US_ASCII);
        Files.move(digestDraft, digest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return true;
      } finally {
        Files.deleteIfExists(download);
      }
    });
  }

  /** Removes {@code ref/version} from the cache, if it is there. */
  void evict(String ref, String version) throws IOException {
    if (!Files.isDirectory(root.resolve(ref).resolve(version))) {
      return;
    }
    locked(ref, version, dir -> {
      remove(dir);
      return true;
    });
  }

  private static void remove(Path dir) throws IOException {
    // The digest goes first: a model without one is never trusted, whatever happens next.
    Files.deleteIfExists(dir.resolve(DIGEST_FILE));
    Files.deleteIfExists(dir.resolve(AcceleratedCatalog.MODEL_FILE));
  }

  private static String readDigest(Path digest) throws IOException {
    return Files.isRegularFile(digest) ? Files.readString(digest, StandardCharsets.US_ASCII).strip() : null;
  }

  private interface Work {
    boolean run(Path dir) throws IOException;
  }

  // A FileLock belongs to the whole JVM (a second lock from another thread fails rather than waits),
  // so threads queue on a lock of their own first and only the holder takes the file lock.
  private boolean locked(String ref, String version, Work work) throws IOException {
    ReentrantLock lock = locks.computeIfAbsent(ref + "/" + version, k -> new ReentrantLock());
    lock.lock();
    try {
      Path dir = Files.createDirectories(root.resolve(ref).resolve(version));
      try (FileChannel channel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE);
          FileLock ignored = channel.lock()) {
        return work.run(dir);
      }
    } finally {
      lock.unlock();
    }
  }
}
