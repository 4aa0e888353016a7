package io.realtimeai.catalog;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * The optional {@code model.json} beside a catalog model: a description, preprocessing hints for
 * whoever writes the package's image stage, and the names of the tensors the model is meant to be
 * fed and read by, which are checked against the model.
 *
 * @param description what the model is
 * @param preprocessing hints such as size, mean and std, shown as written (a JSON object)
 * @param inputTensor the input the model is fed by, when stated
 * @param outputTensor the output a package reads, when stated
 */
record ModelNotes(String description, JsonNode preprocessing, String inputTensor, String outputTensor) {
  /** The file name beside {@code model.onnx}. */
  static final String FILE = "model.json";
  /** Largest {@code model.json} read, in bytes: its fields are kept in one table row. */
  static final int MAX_BYTES = 16 * 1024;
  /** No {@code model.json}. */
  static final ModelNotes NONE = new ModelNotes(null, null, null, null);

  private static final List<String> FIELDS = List.of("description", "preprocessing", "input_tensor", "output_tensor");
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .build();

  /** What reading a {@code model.json} gave: the notes, or the problems that make the entry invalid. */
  record Parsed(ModelNotes notes, List<String> problems) {}

  /** Parses {@code model.json}, reporting every problem at once, each naming the file and the field. */
  static Parsed parse(byte[] json) {
    if (json.length > MAX_BYTES) {
      return tooLarge();
    }
    JsonNode tree;
    try {
      tree = MAPPER.readTree(json);
    } catch (StreamReadException e) {
      return problems(List.of("invalid JSON at line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage()));
    } catch (IOException e) {
      return problems(List.of("invalid JSON: " + firstLine(e.getMessage())));
    }
    if (tree == null || tree.isMissingNode()) {
      return problems(List.of("is empty; write a JSON object or delete the file"));
    }
    if (!tree.isObject()) {
      return problems(List.of("must be a JSON object, not " + kind(tree)));
    }
    List<String> problems = new ArrayList<>();
    for (Iterator<String> names = tree.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        problems.add("unknown field '" + name + "' (known: " + String.join(", ", FIELDS) + ")");
      }
    }
    String description = text(tree, "description", problems);
    String inputTensor = text(tree, "input_tensor", problems);
    String outputTensor = text(tree, "output_tensor", problems);
    JsonNode preprocessing = tree.get("preprocessing");
    if (preprocessing != null && preprocessing.isNull()) {
      preprocessing = null;
    } else if (preprocessing != null && !preprocessing.isObject()) {
      problems.add("preprocessing: must be a JSON object, not " + kind(preprocessing));
    }
    return problems.isEmpty() ? new Parsed(new ModelNotes(description, preprocessing, inputTensor, outputTensor), List.of())
        : problems(problems);
  }

  /** The outcome for a {@code model.json} above {@link #MAX_BYTES}, which is not read at all. */
  static Parsed tooLarge() {
    return problems(List.of("is larger than " + MAX_BYTES / 1024 + " KiB"));
  }

  private static String text(JsonNode tree, String field, List<String> problems) {
    JsonNode value = tree.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      problems.add(field + ": must be a string, not " + kind(value));
      return null;
    }
    return value.asText();
  }

  private static String kind(JsonNode node) {
    return switch (node.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      default -> "a " + node.getNodeType().toString().toLowerCase(Locale.ROOT);
    };
  }

  private static Parsed problems(List<String> problems) {
    return new Parsed(NONE, problems.stream().map(p -> FILE + ": " + p).toList());
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "malformed";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
