package io.realtimeai.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The keys a runtime accepts: given at start, and/or read from a key file that is re-read when it
 * changes, so keys can be regenerated without a restart. No keys at all means no key is required.
 */
public final class KeyRing {
  private static final long RECHECK_NANOS = 200_000_000L;

  private final Set<String> fixed;
  private final Path file;
  private volatile Snapshot snapshot;

  private record Snapshot(List<byte[]> keys, FileTime modified, long size, long checkedAt) {}

  private KeyRing(Set<String> fixed, Path file) {
    this.fixed = Set.copyOf(fixed);
    this.file = file;
    this.snapshot = load(System.nanoTime());
  }

  /** A key ring of fixed keys (none: no key required). */
  public static KeyRing of(Iterable<String> keys) {
    return new KeyRing(clean(keys), null);
  }

  /** A key ring of fixed keys plus the keys in {@code file}, one per line, re-read when it changes. */
  public static KeyRing of(Iterable<String> keys, Path file) {
    return new KeyRing(clean(keys), file);
  }

  /** True when calls must carry a key. */
  public boolean required() {
    return !current().keys().isEmpty() || file != null;
  }

  /** One of the keys accepted now, if there is any: what the runtime's own warm-up call presents. */
  Optional<String> anyKey() {
    return current().keys().stream().findFirst().map(key -> new String(key, StandardCharsets.UTF_8));
  }

  /**
   * True when the {@code authorization} value carries an accepted key, as {@code Bearer <key>} or
   * the bare key. Compared in constant time.
   */
  public boolean accepts(String authorization) {
    Snapshot now = current();
    if (now.keys().isEmpty() && file == null) {
      return true;
    }
    if (authorization == null) {
      return false;
    }
    String presented = authorization.strip();
    if (presented.regionMatches(true, 0, "Bearer ", 0, 7)) {
      presented = presented.substring(7).strip();
    }
    byte[] candidate = presented.getBytes(StandardCharsets.UTF_8);
    boolean match = false;
    for (byte[] key : now.keys()) {
      match |= MessageDigest.isEqual(key, candidate);
    }
    return match && candidate.length > 0;
  }

  private Snapshot current() {
    Snapshot now = snapshot;
    long time = System.nanoTime();
    if (file != null && time - now.checkedAt() > RECHECK_NANOS) {
      try {
        FileTime modified = Files.getLastModifiedTime(file);
        long size = Files.size(file);
        if (!modified.equals(now.modified()) || size != now.size()) {
          now = load(time);
        } else {
          now = new Snapshot(now.keys(), now.modified(), now.size(), time);
        }
      } catch (IOException e) {
        // A key file being replaced may be briefly absent: keep the keys we had.
        now = new Snapshot(now.keys(), now.modified(), now.size(), time);
      }
      snapshot = now;
    }
    return now;
  }

  private Snapshot load(long time) {
    Set<String> keys = new LinkedHashSet<>(fixed);
    FileTime modified = null;
    long size = -1;
    if (file != null) {
      try {
        modified = Files.getLastModifiedTime(file);
        size = Files.size(file);
        keys.addAll(clean(Files.readAllLines(file, StandardCharsets.UTF_8)));
      } catch (NoSuchFileException e) {
        throw new UncheckedIOException("key file " + file + " does not exist", e);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read key file " + file + ": " + e.getMessage(), e);
      }
    }
    List<byte[]> bytes = new ArrayList<>();
    keys.forEach(k -> bytes.add(k.getBytes(StandardCharsets.UTF_8)));
    return new Snapshot(List.copyOf(bytes), modified, size, time);
  }

  private static Set<String> clean(Iterable<String> keys) {
    Set<String> cleaned = new LinkedHashSet<>();
    for (String key : keys) {
      if (key != null && !key.isBlank()) {
        cleaned.add(key.strip());
      }
    }
    return cleaned;
  }
}
