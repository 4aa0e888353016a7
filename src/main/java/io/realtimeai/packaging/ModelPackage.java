package io.realtimeai.packaging;

import io.realtimeai.error.InvalidPackageException;
import io.realtimeai.pipeline.AcceleratedStage;
import io.realtimeai.pipeline.OnnxStage;
import io.realtimeai.pipeline.ServiceDefinition;
import io.realtimeai.pipeline.ServiceDefinitions;
import io.realtimeai.pipeline.Stage;
import io.realtimeai.pipeline.TensorflowStage;
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
import java.util.stream.Stream;

/**
 * A model package laid out on disk: {@code service_def.json} at {@code root} plus every file it
 * names (a SavedModel folder with everything in it, an ONNX model with its external data files),
 * all present and inside the root.
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
    for (Named file : named(definition)) {
      String unsafe = PackageArchive.nameProblem(file.path());
      Path path = root.resolve(file.path());
      if (unsafe != null) {
        problems.add(file.field() + ": '" + file.path() + "' must be a relative path inside the package (it " + unsafe + ")");
      } else if (Files.isDirectory(path) && file.stage() instanceof TensorflowStage) {
        continue;
      } else if (!Files.isRegularFile(path)) {
        problems.add(file.field() + ": file '" + file.path() + "' is not in the package");
      } else if (file.stage() instanceof OnnxStage) {
        problems.addAll(externalDataProblems(root, file.field(), file.path()));
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidPackageException(problems);
    }
    return new ModelPackage(root, definition);
  }

  /**
   * A file a definition names: the field that names it ({@code pipeline[1].model_path}), its
   * '/'-separated path, and the stage it belongs to (null for the labels).
   */
  private record Named(String field, String path, Stage stage) {}

  private static List<Named> named(ServiceDefinition definition) {
    List<Named> files = new ArrayList<>();
    List<Stage> pipeline = definition.pipeline();
    for (int i = 0; i < pipeline.size(); i++) {
      String field = "pipeline[" + i + "].model_path";
      if (pipeline.get(i) instanceof OnnxStage onnx) {
        files.add(new Named(field, onnx.modelPath().replace('\\', '/'), onnx));
      } else if (pipeline.get(i) instanceof TensorflowStage tensorflow) {
        String path = tensorflow.modelPath().replace('\\', '/');
        files.add(new Named(field, path.endsWith("/") ? path.substring(0, path.length() - 1) : path, tensorflow));
      }
    }
    if (definition.labels() != null) {
      files.add(new Named("labels", definition.labels().replace('\\', '/'), null));
    }
    return files;
  }

  /** True when {@code file} is the model_path of a tensorflow stage, which may be a SavedModel folder. */
  public static boolean isFolderStage(ServiceDefinition definition, String file) {
    return named(definition).stream().anyMatch(f -> f.path().equals(file) && f.stage() instanceof TensorflowStage);
  }

  /** An ONNX model's external data files must be inside the package, beside it or below. */
  private static List<String> externalDataProblems(Path root, String field, String model) throws IOException {
    List<String> problems = new ArrayList<>();
    for (String location : externalData(root, model)) {
      String unsafe = PackageArchive.nameProblem(location);
      if (unsafe != null) {
        problems.add(field + ": '" + model + "' keeps its weights in '" + location + "', which must be a relative path"
            + " inside the package (it " + unsafe + ")");
      } else if (!Files.isRegularFile(root.resolve(location))) {
        problems.add(field + ": '" + model + "' keeps its weights in '" + location
            + "', which is not in the package (put it beside the model)");
      }
    }
    return problems;
  }

  /** The external data files of the ONNX model {@code model}, as paths relative to the package root. */
  private static List<String> externalData(Path root, String model) throws IOException {
    int slash = model.lastIndexOf('/');
    String folder = slash < 0 ? "" : model.substring(0, slash + 1);
    return OnnxExternalData.locations(root.resolve(model)).stream()
        .map(location -> folder + location.replace('\\', '/')).toList();
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

  /**
   * The definition and every file it names, as '/'-separated paths relative to the root: with a
   * SavedModel folder, every file in it; with an ONNX model, its external data files too.
   */
  public Set<String> files() throws IOException {
    Set<String> files = new TreeSet<>();
    files.add(ServiceDefinition.FILE_NAME);
    for (Named named : named(definition)) {
      Path path = root.resolve(named.path());
      if (Files.isDirectory(path)) {
        try (Stream<Path> inside = Files.walk(path)) {
          inside.filter(Files::isRegularFile)
              .forEach(file -> files.add(root.relativize(file).toString().replace('\\', '/')));
        }
        continue;
      }
      files.add(named.path());
      if (named.stage() instanceof OnnxStage) {
        files.addAll(externalData(root, named.path()));
      }
    }
    return files;
  }

  /** The files a definition names, by the field that names them ({@code pipeline[1].model_path}). */
  public static Map<String, String> referencedFiles(ServiceDefinition definition) {
    Map<String, String> files = new LinkedHashMap<>();
    named(definition).forEach(file -> files.put(file.field(), file.path()));
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
