package io.realtimeai.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A small filesystem of its own (tmpfs) mounted on a test's folder, that the test can fill to the
 * last byte and free again. Mounting needs root; {@link #mount} answers null where it is not allowed,
 * with the reason in {@link #refusal}.
 */
public final class DiskSpace implements AutoCloseable {
  private static volatile String refusal = "";

  private final Path folder;

  private DiskSpace(Path folder) {
    this.folder = folder;
  }

  /** Mounts a tmpfs of {@code mebibytes} on {@code folder} (created), or answers null when that is not permitted. */
  public static DiskSpace mount(Path folder, int mebibytes) throws IOException, InterruptedException {
    Files.createDirectories(folder);
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + mebibytes + "m", "tmpfs", folder.toString())
        .redirectErrorStream(true).start();
    String output = new String(mount.getInputStream().readAllBytes()).strip();
    if (!mount.waitFor(30, TimeUnit.SECONDS) || mount.exitValue() != 0) {
      refusal = "mount -t tmpfs was refused (" + output + "); run as root to inject a full disk";
      return null;
    }
    return new DiskSpace(folder);
  }

  /** Why the last {@link #mount} answered null. */
  public static String refusal() {
    return refusal;
  }

  /** Fills the filesystem with {@code filler} until the system answers "No space left on device". */
  public void fill() throws IOException {
    byte[] block = new byte[1 << 16];
    try (OutputStream out = Files.newOutputStream(filler())) {
      while (true) {
        out.write(block);
      }
    } catch (IOException e) {
      if (Files.getFileStore(folder).getUsableSpace() > block.length) {
        throw e;
      }
    }
  }

  /** Deletes the filler: the space is free again. */
  public void free() throws IOException {
    Files.deleteIfExists(filler());
  }

  /** Bytes free on it now. */
  public long usable() throws IOException {
    return Files.getFileStore(folder).getUsableSpace();
  }

  private Path filler() {
    return folder.resolve(".filler");
  }

  /** Unmounts it (lazily, so that a process still holding a file there does not keep it). */
  @Override
  public void close() throws IOException, InterruptedException {
    new ProcessBuilder("umount", "-l", folder.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
  }
}
