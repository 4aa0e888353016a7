package io.realtimeai.packaging;

import io.realtimeai.error.InvalidPackageException;
import io.realtimeai.pipeline.AcceleratedStage;
import io.realtimeai.pipeline.OnnxStage;
import io.realtimeai.pipeline.ServiceDefinition;
import io.realtimeai.pipeline.ServiceDefinitions;
import io.realtimeai.pipeline.Stage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.Set;

/**
 * A model package laid out on disk: {@code service_def.json} at {@code root} plus every file it
 * names, all present and inside the root.
 *
 * @param root the package directory
 * @param definition its parsed service definition
 */
public record ModelPackage(Path root, ServiceDefinition definition) {

  /**
   * Opens a package folder: parses its definition and checks that every file it names is there.
   *
   * @throws InvalidPackageException naming every problem
   */
  public static ModelPackage openDirectory(Path root) throws IOException {
    byte[] json;
    try {
      json = Files.readAllBytes(root.resolve(ServiceDefinition.FILE_NAME));
    } catch (NoSuchFileException e) {
      throw new InvalidPackageException(ServiceDefinition.FILE_NAME + ": missing in " + root);
    }
    ServiceDefinition definition = ServiceDefinitions.parse(json);
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, String> file : referencedFiles(definition).entrySet()) {
      String field = file.getKey();
      String name = file.getValue();
      String unsafe = PackageArchive.nameProblem(name);
      if (unsafe != null) {
        problems.add(field + ": '" + name + "' must be a relative path inside the package (it " + unsafe + ")");
      } else if (!Files.isRegularFile(root.resolve(name))) {
        problems.add(field + ": file '" + name + "' is not in the package");
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidPackageException(problems);
    }
    return new ModelPackage(root, definition);
  }

  /** Safely extracts a package zip into {@code target} (which must not exist) and opens it. */
  public static ModelPackage extract(Path zip, Path target, PackageLimits limits) throws IOException {
    PackageArchive.extract(zip, target, limits);
    return openDirectory(target);
  }

  /**
   * Opens a package given as a folder or a zip; a zip is extracted into a new directory under
   * {@code workDir}.
   */
  public static ModelPackage open(Path folderOrZip, PackageLimits limits, Path workDir) throws IOException {
    if (Files.isDirectory(folderOrZip)) {
      return openDirectory(folderOrZip);
    }
    if (!Files.isRegularFile(folderOrZip)) {
      throw new NoSuchFileException(folderOrZip.toString(), null, "no such package file or folder");
    }
    Files.createDirectories(workDir);
    Path target = Files.createTempDirectory(workDir, "package-");
    Files.delete(target);
    return extract(folderOrZip, target, limits);
  }

  /** The definition and every file it names, as '/'-separated paths relative to the root. */
  public Set<String> files() {
    Set<String> files = new TreeSet<>(referencedFiles(definition).values());
    files.add(ServiceDefinition.FILE_NAME);
    return files;
  }

  /** The files a definition names, by the field that names them ({@code pipeline[1].model_path}). */
  public static Map<String, String> referencedFiles(ServiceDefinition definition) {
    Map<String, String> files = new LinkedHashMap<>();
    List<Stage> pipeline = definition.pipeline();
    for (int i = 0; i < pipeline.size(); i++) {
      if (pipeline.get(i) instanceof OnnxStage onnx) {
        files.put("pipeline[" + i + "].model_path", onnx.modelPath().replace('\\', '/'));
      }
    }
    if (definition.labels() != null) {
      files.put("labels", definition.labels().replace('\\', '/'));
    }
    return files;
  }

  /** The accelerated models a definition needs from the catalog, as {@code ref/version}. */
  public static List<String> acceleratedModels(ServiceDefinition definition) {
    return definition.pipeline().stream()
        .filter(AcceleratedStage.class::isInstance)
        .map(s -> ((AcceleratedStage) s).modelRef() + "/" + ((AcceleratedStage) s).modelVersion())
        .toList();
  }
}
