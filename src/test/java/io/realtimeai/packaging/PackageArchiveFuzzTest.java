package io.realtimeai.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.realtimeai.error.InvalidPackageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzz target: the package reader on any bytes as a zip. A bad zip must be an
 * {@link InvalidPackageException} with the reason, nothing is left behind, and an extracted
 * package stays inside its folder; anything else thrown is a finding.
 */
class PackageArchiveFuzzTest {
  private static final PackageLimits LIMITS = new PackageLimits(64, 1 << 20);

  @FuzzTest(maxDuration = "10m")
  void extract(byte[] zip) throws IOException {
    Path work = Files.createTempDirectory("package-fuzz");
    try {
      Path file = Files.write(work.resolve("upload.zip"), zip);
      Path target = work.resolve("extracted");
      try {
        PackageArchive.extract(file, target, LIMITS);
        assertThat(target.resolve("service_def.json")).isRegularFile();
        try (var paths = Files.walk(target)) {
          paths.forEach(p -> assertThat(p.normalize().startsWith(target)).isTrue());
        }
      } catch (InvalidPackageException e) {
        assertThat(e.getMessage()).startsWith("invalid model package").contains("upload.zip");
        assertThat(target).doesNotExist();
      }
    } finally {
      PackageArchive.deleteTree(work);
    }
  }
}
