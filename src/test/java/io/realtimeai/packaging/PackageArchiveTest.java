package io.realtimeai.packaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.realtimeai.error.InvalidPackageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading package zips safely: every unsafe archive is refused before anything is written. */
class PackageArchiveTest {
  private static final String DEFINITION = "{\"pipeline\": [{\"type\": \"onnx\", \"model_path\": \"m.onnx\"}]}";

  @TempDir Path dir;

  private Path zip(Map<String, byte[]> entries) throws IOException {
    Path zip = dir.resolve("model.zip");
    try (ZipArchiveOutputStream out = new ZipArchiveOutputStream(zip)) {
      for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
        out.putArchiveEntry(new ZipArchiveEntry(entry.getKey()));
        out.write(entry.getValue());
        out.closeArchiveEntry();
      }
    }
    return zip;
  }

  private InvalidPackageException refusal(Path zip, PackageLimits limits) {
    Path target = dir.resolve("out");
    InvalidPackageException e = (InvalidPackageException) org.assertj.core.api.Assertions.catchThrowable(
        () -> PackageArchive.extract(zip, target, limits));
    assertThat(e).as("refused").isNotNull();
    assertThat(target).as("nothing written").doesNotExist();
    return e;
  }

  @Test
  void extract_writesEveryEntryOfASafePackage() throws IOException {
    Path zip = zip(Map.of("service_def.json", DEFINITION.getBytes(), "models/m.onnx", new byte[] {1, 2, 3}));

    PackageArchive.extract(zip, dir.resolve("out"), PackageLimits.DEFAULT);

    assertThat(dir.resolve("out/models/m.onnx")).hasBinaryContent(new byte[] {1, 2, 3});
    assertThat(dir.resolve("out/service_def.json")).hasContent(DEFINITION);
  }

  @Test
  void extract_refusesAnEntryEscapingTheRoot() throws IOException {
    Path zip = zip(Map.of("service_def.json", DEFINITION.getBytes(), "../evil.onnx", new byte[1]));
    assertThat(refusal(zip, PackageLimits.DEFAULT).details())
        .containsExactly("model.zip: entry '../evil.onnx' escapes the package root");
  }

  @Test
  void extract_refusesAnEscapeHiddenBehindBackslashesAndAbsolutePaths() throws IOException {
    Path zip = zip(Map.of("service_def.json", DEFINITION.getBytes(), "a\\..\\..\\evil", new byte[1],
        "/etc/cron.d/evil", new byte[1], "C:/evil", new byte[1]));
    assertThat(refusal(zip, PackageLimits.DEFAULT).details()).containsExactlyInAnyOrder(
        "model.zip: entry 'a/../../evil' escapes the package root", // the zip library writes '/' for '\\'
        "model.zip: entry '/etc/cron.d/evil' is an absolute path",
        "model.zip: entry 'C:/evil' is an absolute path");
  }

  @Test
  void extract_refusesASymbolicLink() throws IOException {
    Path zip = dir.resolve("model.zip");
    try (ZipArchiveOutputStream out = new ZipArchiveOutputStream(zip)) {
      out.putArchiveEntry(new ZipArchiveEntry("service_def.json"));
      out.write(DEFINITION.getBytes());
      out.closeArchiveEntry();
      ZipArchiveEntry link = new ZipArchiveEntry("m.onnx");
      link.setUnixMode(0120777);
      out.putArchiveEntry(link);
      out.write("/etc/passwd".getBytes(StandardCharsets.UTF_8));
      out.closeArchiveEntry();
    }
    assertThat(refusal(zip, PackageLimits.DEFAULT).details())
        .containsExactly("model.zip: entry 'm.onnx' is a symbolic link; packages hold regular files only");
  }

  @Test
  void extract_refusesTooManyEntries() throws IOException {
    Path zip = dir.resolve("model.zip");
    try (ZipArchiveOutputStream out = new ZipArchiveOutputStream(zip)) {
      for (int i = 0; i < 1001; i++) {
        out.putArchiveEntry(new ZipArchiveEntry("f" + i));
        out.closeArchiveEntry();
      }
    }
    assertThat(refusal(zip, PackageLimits.DEFAULT).getMessage())
        .contains("model.zip: holds 1001 entries, above the limit of 1000");
  }

  @Test
  void extract_refusesMoreBytesThanTheLimitBeforeInflatingThem() throws IOException {
    Path zip = zip(Map.of("service_def.json", DEFINITION.getBytes(), "m.onnx", new byte[2 << 20]));
    assertThat(refusal(zip, new PackageLimits(1000, 1 << 20)).details())
        .containsExactly("model.zip: declares 2.0 MiB uncompressed, above the limit of 1.0 MiB");
  }

  @Test
  void extract_refusesAnEntryThatInflatesBeyondWhatItDeclares() throws IOException {
    Path zip = zip(Map.of("service_def.json", DEFINITION.getBytes(), "m.onnx", new byte[2 << 20]));
    lieAboutSizes(zip, 2 << 20, 100);

    InvalidPackageException e = refusal(zip, new PackageLimits(1000, 1 << 20));

    assertThat(e.getMessage()).contains("inflates to more than 1.0 MiB (entry 'm.onnx' holds more than it declares)");
  }

  @Test
  void extract_explainsAFolderZippedInsteadOfItsContents() throws IOException {
    Path zip = zip(Map.of("resnet/service_def.json", DEFINITION.getBytes()));
    assertThat(refusal(zip, PackageLimits.DEFAULT).details()).containsExactly(
        "model.zip: service_def.json is missing at the package root"
            + " (found 'resnet/service_def.json': zip the folder's contents, not the folder)");
  }

  @Test
  void extract_refusesAFileThatIsNotAZip() throws IOException {
    Path zip = dir.resolve("model.zip");
    Files.writeString(zip, "not a zip");
    assertThatThrownBy(() -> PackageArchive.extract(zip, dir.resolve("out"), PackageLimits.DEFAULT))
        .isInstanceOf(InvalidPackageException.class).hasMessageContaining("model.zip: not a readable zip file");
  }

  @Test
  void write_givesTheSameBytesForTheSameFiles() throws IOException {
    Path folder = Files.createDirectories(dir.resolve("folder"));
    Files.writeString(folder.resolve("service_def.json"), DEFINITION);
    Files.write(folder.resolve("m.onnx"), new byte[] {4, 5, 6});

    PackageArchive.write(folder, Set.of("service_def.json", "m.onnx"), dir.resolve("a.zip"));
    Files.setLastModifiedTime(folder.resolve("m.onnx"), java.nio.file.attribute.FileTime.fromMillis(0));
    PackageArchive.write(folder, Set.of("m.onnx", "service_def.json"), dir.resolve("b.zip"));

    assertThat(Files.readAllBytes(dir.resolve("a.zip"))).isEqualTo(Files.readAllBytes(dir.resolve("b.zip")));
  }

  /** Rewrites every header's uncompressed size of {@code actual} bytes as {@code declared}. */
  private static void lieAboutSizes(Path zip, int actual, int declared) throws IOException {
    byte[] bytes = Files.readAllBytes(zip);
    java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i + 4 <= bytes.length; i++) {
      int signature = buffer.getInt(i);
      int at = signature == 0x04034b50 ? i + 22 : signature == 0x02014b50 ? i + 24 : -1;
      if (at > 0 && at + 4 <= bytes.length && buffer.getInt(at) == actual) {
        buffer.putInt(at, declared);
      }
    }
    Files.write(zip, bytes);
  }

  // Found by PackageArchiveFuzzTest: the zip reader's own exceptions escaped as they were.
  @Test
  void extract_refusesACorruptZipNamingTheReason() throws IOException {
    byte[] good = Files.readAllBytes(zip(Map.of("service_def.json", DEFINITION.getBytes())));
    Path truncated = Files.write(dir.resolve("truncated.zip"), java.util.Arrays.copyOf(good, good.length - 7));
    // an end-of-central-directory record pointing past the end of the file
    byte[] lying = java.util.Arrays.copyOf(good, good.length);
    lying[lying.length - 6] = (byte) 0x7f;
    lying[lying.length - 5] = (byte) 0x7f;
    Path pointing = Files.write(dir.resolve("lying.zip"), lying);

    for (Path zip : java.util.List.of(truncated, pointing)) {
      InvalidPackageException e = refusal(zip, PackageLimits.DEFAULT);
      assertThat(e.getMessage()).as(zip.toString()).startsWith("invalid model package: " + zip.getFileName() + ": ");
    }
  }

  // Found by PackageArchiveFuzzTest: an entry compressed with a method the reader lacks threw a raw exception.
  @Test
  void extract_refusesAnUnsupportedCompressionMethodNamingIt() throws IOException {
    Path zip = dir.resolve("model.zip");
    try (ZipArchiveOutputStream out = new ZipArchiveOutputStream(zip)) {
      ZipArchiveEntry entry = new ZipArchiveEntry("service_def.json");
      entry.setMethod(ZipArchiveEntry.STORED);
      out.putArchiveEntry(entry);
      out.write(DEFINITION.getBytes());
      out.closeArchiveEntry();
    }
    // method 98 (PPMd) in the local and the central header
    byte[] bytes = Files.readAllBytes(zip);
    for (int i = 0; i + 4 <= bytes.length; i++) {
      if (bytes[i] == 'P' && bytes[i + 1] == 'K' && (bytes[i + 2] == 3 && bytes[i + 3] == 4 || bytes[i + 2] == 1 && bytes[i + 3] == 2)) {
        int at = i + (bytes[i + 2] == 3 ? 8 : 10);
        bytes[at] = 98;
        bytes[at + 1] = 0;
      }
    }
    Files.write(zip, bytes);

    assertThat(refusal(zip, PackageLimits.DEFAULT).details()).containsExactly(
        "model.zip: entry 'service_def.json' uses compression method 98 (PPMD), which cannot be read; zip it with deflate or store");
  }
}
