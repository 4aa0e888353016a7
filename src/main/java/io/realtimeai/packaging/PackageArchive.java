package io.realtimeai.packaging;

import io.realtimeai.error.InvalidPackageException;
import io.realtimeai.pipeline.ServiceDefinition;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.archivers.zip.ZipMethod;

/**
 * Reads and writes package zips. Reading is defensive: names that escape the root, absolute
 * paths, symbolic links, duplicate names, too many entries and too many bytes are refused before
 * anything is written, and the bytes really inflated are counted again while extracting, since
 * the sizes a zip declares can lie.
 */
public final class PackageArchive {
  private static final Pattern DRIVE = Pattern.compile("^[A-Za-z]:.*");
  // A fixed timestamp makes the same files always give the same zip, and so the same sha256.
  private static final FileTime EPOCH = FileTime.fromMillis(315532800000L);
  private static final int COPY_BUFFER = 64 * 1024;

  private PackageArchive() {}

  /**
   * Extracts {@code zip} into {@code target} (created; must not exist) after checking every entry.
   *
   * @throws InvalidPackageException naming every unsafe entry, or the limit exceeded
   */
  public static void extract(Path zip, Path target, PackageLimits limits) throws IOException {
    String label = zip.getFileName().toString();
    try (ZipFile archive = open(zip, label)) {
      List<ZipArchiveEntry> entries = checkedEntries(archive, label, limits);
      Files.createDirectories(target.getParent() == null ? target.toAbsolutePath().getParent() : target.getParent());
      Files.createDirectory(target);
      boolean done = false;
      try {
        long written = 0;
        byte[] buffer = new byte[COPY_BUFFER];
        for (ZipArchiveEntry entry : entries) {
          Path destination = target.resolve(normalized(entry.getName())).normalize();
          if (entry.isDirectory()) {
            Files.createDirectories(destination);
            continue;
          }
          Files.createDirectories(destination.getParent());
          try (InputStream in = entryStream(archive, entry, label);
              OutputStream out = Files.newOutputStream(destination, StandardOpenOption.CREATE_NEW)) {
            for (int n; (n = read(in, buffer, label, entry)) > 0; ) {
              written += n;
              if (written > limits.maxUncompressedBytes()) {
                throw new InvalidPackageException(label + ": inflates to more than "
                    + bytes(limits.maxUncompressedBytes()) + " (entry '" + entry.getName()
                    + "' holds more than it declares)");
              }
              out.write(buffer, 0, n);
            }
          }
        }
        done = true;
      } finally {
        if (!done) {
          deleteTree(target);
        }
      }
    }
  }

  // A corrupt entry is the package's fault, not an I/O failure of this machine: say which entry.
  // The decompressors throw unchecked exceptions on some corrupt streams too.
  private static int read(InputStream in, byte[] buffer, String label, ZipArchiveEntry entry) {
    try {
      return in.read(buffer);
    } catch (IOException | RuntimeException e) {
      throw unreadable(label, entry, e);
    }
  }

  private static InputStream entryStream(ZipFile archive, ZipArchiveEntry entry, String label) {
    try {
      return archive.getInputStream(entry);
    } catch (IOException | RuntimeException e) {
      throw unreadable(label, entry, e);
    }
  }

  private static InvalidPackageException unreadable(String label, ZipArchiveEntry entry, Exception e) {
    return new InvalidPackageException(label + ": entry '" + printable(entry.getName()) + "' cannot be read: "
        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
  }

  /**
   * Writes the named files of {@code root} (paths relative to it, '/'-separated) into {@code zip},
   * in sorted order with fixed timestamps, so the same files always give the same bytes.
   */
  public static void write(Path root, Set<String> files, Path zip) throws IOException {
    List<String> sorted = new ArrayList<>(files);
    Collections.sort(sorted);
    Path partial = zip.resolveSibling(zip.getFileName() + ".partial");
    try (ZipArchiveOutputStream out = new ZipArchiveOutputStream(partial)) {
      for (String name : sorted) {
        ZipArchiveEntry entry = new ZipArchiveEntry(name);
        entry.setLastModifiedTime(EPOCH);
        entry.setCreationTime(EPOCH);
        entry.setLastAccessTime(EPOCH);
        entry.setTime(EPOCH.toMillis());
        out.putArchiveEntry(entry);
        Files.copy(root.resolve(name), out);
        out.closeArchiveEntry();
      }
    }
    Files.move(partial, zip, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  private static ZipFile open(Path zip, String label) throws IOException {
    try {
      return ZipFile.builder().setPath(zip).get();
    } catch (java.nio.file.FileSystemException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // The file is here and readable: whatever the zip reader throws is about its contents.
      throw new InvalidPackageException(label + ": not a readable zip file ("
          + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")");
    }
  }

  private static List<ZipArchiveEntry> checkedEntries(ZipFile archive, String label, PackageLimits limits) {
    List<String> problems = new ArrayList<>();
    List<ZipArchiveEntry> entries = Collections.list(archive.getEntriesInPhysicalOrder());
    if (entries.size() > limits.maxEntries()) {
      throw new InvalidPackageException(label + ": holds " + entries.size()
          + " entries, above the limit of " + limits.maxEntries());
    }
    Set<String> seen = new HashSet<>();
    boolean definition = false;
    long declared = 0;
    for (ZipArchiveEntry entry : entries) {
      String name = entry.getName();
      String problem = nameProblem(name);
      if (problem != null) {
        problems.add(label + ": entry '" + printable(name) + "' " + problem);
      } else if (entry.isUnixSymlink()) {
        problems.add(label + ": entry '" + name + "' is a symbolic link; packages hold regular files only");
      } else if (!seen.add(normalized(name).toLowerCase(Locale.ROOT))) {
        problems.add(label + ": entry '" + name + "' appears more than once");
      } else if (!archive.canReadEntryData(entry)) {
        problems.add(label + ": entry '" + name + "' uses " + method(entry)
            + ", which cannot be read; zip it with deflate or store");
      }
      // Names are compared case-blind for duplicates, but the definition must be exactly this file.
      definition |= !entry.isDirectory() && normalized(name).equals(ServiceDefinition.FILE_NAME);
      if (entry.getSize() > 0) {
        declared += entry.getSize();
      }
    }
    if (declared > limits.maxUncompressedBytes()) {
      problems.add(label + ": declares " + bytes(declared) + " uncompressed, above the limit of "
          + bytes(limits.maxUncompressedBytes()));
    }
    if (problems.isEmpty() && !definition) {
      String nested = entries.stream().map(ZipArchiveEntry::getName)
          .filter(n -> n.endsWith("/" + ServiceDefinition.FILE_NAME)).findFirst().orElse(null);
      problems.add(label + ": " + ServiceDefinition.FILE_NAME + " is missing at the package root"
          + (nested == null ? "" : " (found '" + nested + "': zip the folder's contents, not the folder)"));
    }
    if (!problems.isEmpty()) {
      throw new InvalidPackageException(problems);
    }
    return entries;
  }

  /** Why a path inside a package is unsafe (absolute, escaping, binary), or null when it stays inside the root. */
  public static String nameProblem(String name) {
    if (name.isEmpty() || name.indexOf('\0') >= 0) {
      return "has an empty or binary name";
    }
    String path = name.replace('\\', '/');
    if (path.startsWith("/") || DRIVE.matcher(path).matches()) {
      return "is an absolute path";
    }
    for (String segment : path.split("/")) {
      if (segment.equals("..")) {
        return "escapes the package root";
      }
    }
    return null;
  }

  private static String method(ZipArchiveEntry entry) {
    if (entry.getGeneralPurposeBit().usesEncryption()) {
      return "encryption";
    }
    ZipMethod method = ZipMethod.getMethodByCode(entry.getMethod());
    return "compression method " + entry.getMethod() + (method == null ? "" : " (" + method + ")");
  }

  private static String normalized(String name) {
    String path = name.replace('\\', '/');
    while (path.startsWith("./")) {
      path = path.substring(2);
    }
    return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  private static String printable(String name) {
    return name.replace("\0", "\\0");
  }

  static String bytes(long n) {
    if (n >= 1L << 30) {
      return String.format(Locale.ROOT, "%.1f GiB", n / (double) (1L << 30));
    }
    if (n >= 1L << 20) {
      return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
    }
    return n + " bytes";
  }

  /** Deletes a directory tree, best effort. */
  public static void deleteTree(Path root) {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      paths.sorted(Collections.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort: a temp directory left behind is not worth failing the caller for
        }
      });
    } catch (IOException ignored) {
      // as above
    }
  }
}
