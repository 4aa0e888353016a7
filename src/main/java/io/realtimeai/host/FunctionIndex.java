package io.realtimeai.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The functions of an app folder, read as the Functions host reads them: one
 * {@code {name}/function.json} per function. Each is checked against its method's annotations;
 * any disagreement stops the host with a message naming the function and the difference.
 */
public final class FunctionIndex {
  private static final ObjectMapper JSON = new ObjectMapper();

  private FunctionIndex() {}

  /**
   * Reads every {@code {name}/function.json} under {@code appDir}, sorted by name.
   *
   * @throws IllegalStateException naming each function whose file and annotations disagree
   */
  public static List<FunctionDescriptor> load(Path appDir, ClassLoader classes) throws IOException {
    if (!Files.isDirectory(appDir)) {
      throw new IOException("no function app at " + appDir + " (run mvn package: it writes every function.json there)");
    }
    List<FunctionDescriptor> functions = new ArrayList<>();
    try (Stream<Path> folders = Files.list(appDir)) {
      for (Path folder : folders.sorted().toList()) {
        Path file = folder.resolve("function.json");
        if (Files.isRegularFile(file)) {
          functions.add(read(folder.getFileName().toString(), file));
        }
      }
    }
    List<String> problems = new ArrayList<>();
    for (FunctionDescriptor function : functions) {
      problems.addAll(disagreements(function, classes));
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException("function.json and annotations disagree (rebuild with mvn package):\n  "
          + String.join("\n  ", problems));
    }
    return functions;
  }

  /** Parses one {@code function.json}. */
  public static FunctionDescriptor read(String name, Path file) throws IOException {
    JsonNode root = JSON.readTree(file.toFile());
    String entryPoint = root.path("entryPoint").asText(null);
    if (entryPoint == null || !entryPoint.contains(".")) {
      throw new IOException(file + ": entryPoint is missing");
    }
    List<Binding> bindings = new ArrayList<>();
    for (JsonNode node : root.path("bindings")) {
      Map<String, Object> properties = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
        Map.Entry<String, JsonNode> field = fields.next();
        if (!List.of("type", "direction", "name").contains(field.getKey())) {
          properties.put(field.getKey(), JSON.convertValue(field.getValue(), Object.class));
        }
      }
      bindings.add(new Binding(node.path("type").asText(), node.path("direction").asText(),
          node.path("name").asText(), properties));
    }
    return new FunctionDescriptor(name, entryPoint, bindings);
  }

  /** How a descriptor differs from what its method's annotations declare (empty when they agree). */
  public static List<String> disagreements(FunctionDescriptor function, ClassLoader classes) {
    Class<?> type;
    try {
      type = Class.forName(function.className(), false, classes);
    } catch (ClassNotFoundException e) {
      return List.of(function.name() + ": class " + function.className() + " is not on the classpath");
    }
    Method method = FunctionAnnotations.functionMethod(type, function.methodName()).orElse(null);
    if (method == null) {
      return List.of(function.name() + ": " + function.entryPoint() + " is not a @FunctionName method");
    }
    FunctionDescriptor declared = FunctionAnnotations.describe(method);
    List<String> problems = new ArrayList<>();
    if (!declared.name().equals(function.name())) {
      problems.add(function.name() + ": @FunctionName says '" + declared.name() + "'");
    }
    if (!declared.bindings().equals(function.bindings())) {
      problems.add(function.name() + ": function.json has " + function.bindings() + " but the annotations declare "
          + declared.bindings());
    }
    return problems;
  }
}
