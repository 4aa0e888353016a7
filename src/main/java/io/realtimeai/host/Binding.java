package io.realtimeai.host;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One binding of a {@code function.json}: its type ({@code httpTrigger}, {@code blobTrigger},
 * {@code queueTrigger}, {@code timerTrigger}, {@code http} …), direction, name, and the other
 * properties as written ({@code route}, {@code methods}, {@code path}, {@code queueName} …).
 *
 * @param type the binding type
 * @param direction {@code in} or {@code out}
 * @param name the binding name ({@code $return} for the return value)
 * @param properties every other property
 */
public record Binding(String type, String direction, String name, Map<String, Object> properties) {
  public Binding {
    Objects.requireNonNull(type, "type");
    properties = Map.copyOf(properties);
  }

  /** True for the binding that starts the function. */
  public boolean isTrigger() {
    return type.endsWith("Trigger");
  }

  /** A string property, or null. */
  public String string(String key) {
    Object value = properties.get(key);
    return value == null ? null : value.toString();
  }

  /** A list property ({@code methods}), empty when absent. */
  public List<String> strings(String key) {
    Object value = properties.get(key);
    if (value instanceof List<?> list) {
      return list.stream().map(String::valueOf).toList();
    }
    return value == null ? List.of() : List.of(value.toString());
  }
}
