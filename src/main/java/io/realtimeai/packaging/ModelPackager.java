package io.realtimeai.packaging;

import io.realtimeai.error.InvalidPackageException;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.pipeline.Pipeline;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Brainwave's packaging step: "zip service_def.json with the graphs". A folder is checked the way
 * the runtime will load it (every file present, every ONNX model loadable, stages that chain) and
 * only then written as a package zip.
 */
public final class ModelPackager {
  private ModelPackager() {}

  /**
   * What packing wrote.
   *
   * @param zip the package file
   * @param files the files it holds
   * @param bytes its size
   * @param sha256 its SHA-256, hex
   * @param pipeline what checking understood: each stage's inputs and outputs, the labels, what could not be checked
   */
  public record Packed(Path zip, List<String> files, long bytes, String sha256, Pipeline.Validation pipeline) {}

  /**
   * Checks a package folder and answers what checking found.
   *
   * @throws InvalidPackageException when files are missing or the definition is malformed
   */
  public static Pipeline.Validation check(ModelPackage modelPackage, AcceleratedCatalog catalog) {
    return Pipeline.validate(modelPackage.root(), modelPackage.definition(), catalog);
  }

  /**
   * Checks {@code folder} and writes its definition and the files it names to {@code zip}.
   *
   * @throws InvalidPackageException naming every problem; nothing is written then
   */
  public static Packed pack(Path folder, Path zip, AcceleratedCatalog catalog) throws IOException {
    ModelPackage modelPackage = ModelPackage.openDirectory(folder);
    Pipeline.Validation validation = check(modelPackage, catalog);
    if (!validation.ok()) {
      throw new InvalidPackageException(validation.problems());
    }
    PackageArchive.write(folder, modelPackage.files(), zip);
    return new Packed(zip, List.copyOf(modelPackage.files()), Files.size(zip), sha256(zip), validation);
  }

  /** The SHA-256 of a file, hex. */
  public static String sha256(Path file) throws IOException {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
