package io.realtimeai.deployment.local;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobStorageException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * Registered packages on this machine, one file per content: {@code dir/{sha256}.zip}, downloaded
 * once from the {@code models} container however many replicas run the model, and hard-linked into
 * each replica's folder. A download goes to a temporary file, is checked against the SHA-256 the
 * model was registered with, and only then is moved into place, so a cached file is always whole.
 * A package is removed once no replica folder links it any more.
 */
final class PackageCache {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private final BlobContainerClient models;
  private final Path dir;
  private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
  /** Packages handed out and not yet linked into a replica folder: never pruned. Guarded by itself. */
  private final Map<String, Integer> leased = new HashMap<>();

  PackageCache(BlobContainerClient models, Path dir) {
    this.models = models;
    this.dir = dir;
  }

  /** True when {@code sha256} is a lower-case hex SHA-256 (and so a safe file name). */
  static boolean isSha256(String sha256) {
    return sha256 != null && SHA256.matcher(sha256).matches();
  }

  /** A cached package, kept from pruning until closed. */
  final class Lease implements AutoCloseable {
    private final String sha256;
    private final Path file;

    private Lease(String sha256, Path file) {
      this.sha256 = sha256;
      this.file = file;
    }

    /** The cached package. */
    Path file() {
      return file;
    }

    @Override
    public void close() {
      synchronized (leased) {
        leased.computeIfPresent(sha256, (k, n) -> n == 1 ? null : n - 1);
      }
    }
  }

  /**
   * The package at {@code blob} in the {@code models} container, downloaded unless cached.
   *
   * @param sha256 the SHA-256 it was registered with; null to take whatever the blob holds
   * @throws IOException with a reason a user can act on when the blob is missing or not that content
   */
  Lease fetch(String blob, String sha256) throws IOException {
    String lockName = sha256 == null ? "blob:" + blob : sha256;
    ReentrantLock lock = locks.computeIfAbsent(lockName, k -> new ReentrantLock());
    lock.lock();
    try {
      if (sha256 != null && Files.isRegularFile(cached(sha256))) {
        return lease(sha256);
      }
      Files.createDirectories(dir);
      Path partial = Files.createTempFile(dir, ".download-", ".partial");
      try {
        String actual = download(blob, partial);
        if (sha256 != null && !sha256.equals(actual)) {
          throw new IOException("package models/" + blob + " has SHA-256 " + actual + ", not the " + sha256
              + " it was registered with");
        }
        if (!Files.exists(cached(actual))) {
          Files.move(partial, cached(actual), StandardCopyOption.ATOMIC_MOVE);
        }
        return lease(actual);
      } finally {
        Files.deleteIfExists(partial);
      }
    } finally {
      lock.unlock();
    }
  }

  /** The size of the package at {@code blob}, or -1 when it cannot be read (the download will say why). */
  long size(String blob) {
    try {
      return models.getBlobClient(blob).getProperties().getBlobSize();
    } catch (RuntimeException e) {
      return -1;
    }
  }

  /** True when the package {@code sha256} is here already and a fetch writes nothing. */
  boolean isCached(String sha256) {
    return isSha256(sha256) && Files.isRegularFile(cached(sha256));
  }

  /** Removes the package {@code sha256} when no replica folder links it and nobody holds it. */
  void prune(String sha256) {
    if (!isSha256(sha256)) {
      return;
    }
    ReentrantLock lock = locks.computeIfAbsent(sha256, k -> new ReentrantLock());
    lock.lock();
    try {
      synchronized (leased) {
        if (leased.containsKey(sha256)) {
          return;
        }
      }
      Path file = cached(sha256);
      // The link count says how many replica folders share the file; without one (no links here) it is kept.
      Object links = Files.exists(file) ? Files.getAttribute(file, "unix:nlink") : null;
      if (links instanceof Integer count && count <= 1) {
        Files.deleteIfExists(file);
      }
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      // Pruning is tidying: a package left in the cache is only disk space.
    } finally {
      lock.unlock();
    }
  }

  private Lease lease(String sha256) {
    synchronized (leased) {
      leased.merge(sha256, 1, Integer::sum);
    }
    return new Lease(sha256, cached(sha256));
  }

  private Path cached(String sha256) {
    return dir.resolve(sha256 + ".zip");
  }

  // Streamed to disk while hashing: a package may be hundreds of megabytes.
  private String download(String blob, Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
    try (OutputStream out = new DigestOutputStream(Files.newOutputStream(file), digest)) {
      models.getBlobClient(blob).downloadStream(out);
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 404) {
        throw new IOException("package models/" + blob + " does not exist");
      }
      throw new IOException("cannot download package models/" + blob + ": " + e.getStatusCode() + " "
          + e.getErrorCode(), e);
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
