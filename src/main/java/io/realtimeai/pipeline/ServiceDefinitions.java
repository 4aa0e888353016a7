package io.realtimeai.pipeline;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.realtimeai.error.InvalidPackageException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** Parses {@code service_def.json} into a {@link ServiceDefinition}, with errors that name the field. */
public final class ServiceDefinitions {
  private static final String STAGE_TYPES = "image, onnx, brainwave, accelerated, tensorflow";

  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
          .build();

  private ServiceDefinitions() {}

  /** The mapper that reads and writes service definitions (snake_case fields). */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * Parses and checks the structure of a definition (stage order, stage kinds); files and models
   * are checked when the package is loaded.
   *
   * @throws InvalidPackageException naming every problem found, each with its field
   */
  public static ServiceDefinition parse(byte[] json) {
    ServiceDefinition definition;
    try {
      definition = MAPPER.readValue(json, ServiceDefinition.class);
    } catch (StreamReadException e) {
      throw invalidJson(e);
    } catch (JsonMappingException e) {
      // Syntax errors met while a stage's type is being resolved arrive wrapped.
      if (e.getCause() instanceof StreamReadException syntax) {
        throw invalidJson(syntax);
      }
      throw new InvalidPackageException(describe(e));
    } catch (IOException e) {
      throw new InvalidPackageException(ServiceDefinition.FILE_NAME + ": cannot be read: " + e.getMessage());
    }
    if (definition == null) {
      throw new InvalidPackageException(ServiceDefinition.FILE_NAME + ": is empty; it must hold a JSON object");
    }
    List<String> problems = structuralProblems(definition);
    if (!problems.isEmpty()) {
      throw new InvalidPackageException(problems);
    }
    return definition;
  }

  private static InvalidPackageException invalidJson(StreamReadException e) {
    return new InvalidPackageException(ServiceDefinition.FILE_NAME + ": invalid JSON "
        + where(e.getLocation()) + ": " + firstLine(e.getOriginalMessage()));
  }

  /** Problems with the order and kinds of stages, independent of the package's files. */
  static List<String> structuralProblems(ServiceDefinition definition) {
    List<String> problems = new ArrayList<>();
    List<Stage> pipeline = definition.pipeline();
    if (pipeline.isEmpty()) {
      problems.add("pipeline: must hold at least one stage");
    }
    int accelerated = -1;
    for (int i = 0; i < pipeline.size(); i++) {
      Stage stage = pipeline.get(i);
      String field = "pipeline[" + i + "]";
      if (stage instanceof ImageStage) {
        if (i != 0) {
          problems.add(field + ".type: an image stage must be the first stage");
        } else if (pipeline.size() == 1) {
          problems.add(field + ": an image stage must be followed by a model stage (onnx, accelerated or tensorflow)");
        }
      } else if (stage instanceof AcceleratedStage) {
        if (accelerated >= 0) {
          problems.add(field + ".type: at most one accelerated stage per pipeline, and pipeline["
              + accelerated + "] is one already");
        } else {
          accelerated = i;
        }
      }
    }
    return problems;
  }

  private static String describe(JsonMappingException e) {
    String path = path(e.getPath());
    if (e instanceof InvalidTypeIdException typeId) {
      String id = typeId.getTypeId();
      return (path.isEmpty() ? "" : path + ".") + "type: "
          + (id == null ? "required, one of " + STAGE_TYPES : "unknown stage type '" + id + "' (known: " + STAGE_TYPES + ")");
    }
    if (e instanceof UnrecognizedPropertyException unknown) {
      String known = unknown.getKnownPropertyIds() == null ? "" : unknown.getKnownPropertyIds().stream()
          .map(String::valueOf).sorted().collect(Collectors.joining(", "));
      return path + ": unknown field" + (known.isEmpty() ? "" : " (known: " + known + ")");
    }
    if (e instanceof InvalidFormatException format) {
      Class<?> target = format.getTargetType();
      if (target != null && target.isEnum()) {
        String accepted = Arrays.stream(target.getEnumConstants())
            .map(c -> enumName((Enum<?>) c)).collect(Collectors.joining(", "));
        return path + ": '" + format.getValue() + "' is not one of " + accepted;
      }
      return path + ": '" + format.getValue() + "' is not a valid " + simpleType(target);
    }
    if (e instanceof ValueInstantiationException instantiation && instantiation.getCause() != null) {
      // A record's compact constructor said what is wrong with one of its fields.
      return (path.isEmpty() ? "" : path + ".") + instantiation.getCause().getMessage();
    }
    String message = firstLine(e.getOriginalMessage());
    return (path.isEmpty() ? ServiceDefinition.FILE_NAME : path) + ": " + message + " " + where(e.getLocation());
  }

  private static String enumName(Enum<?> constant) {
    try {
      var property = constant.getDeclaringClass().getField(constant.name())
          .getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class);
      return property != null ? property.value() : constant.name();
    } catch (NoSuchFieldException e) {
      return constant.name();
    }
  }

  private static String simpleType(Class<?> type) {
    if (type == null) {
      return "value";
    }
    if (Number.class.isAssignableFrom(type) || type.isPrimitive()) {
      return "number";
    }
    return type.getSimpleName().toLowerCase(java.util.Locale.ROOT);
  }

  /** Formats Jackson's reference chain as {@code pipeline[1].model_path}. */
  private static String path(List<JsonMappingException.Reference> references) {
    StringBuilder out = new StringBuilder();
    for (JsonMappingException.Reference reference : references) {
      if (reference.getIndex() >= 0) {
        out.append('[').append(reference.getIndex()).append(']');
      } else if (reference.getFieldName() != null) {
        if (out.length() > 0) {
          out.append('.');
        }
        out.append(reference.getFieldName());
      }
    }
    return out.toString();
  }

  private static String where(JsonLocation location) {
    return location == null ? "" : "at line " + location.getLineNr() + ", column " + location.getColumnNr();
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "malformed";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
