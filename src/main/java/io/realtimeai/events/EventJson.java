package io.realtimeai.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The package's JSON mapper: event data in and out of table columns, and the HTTP view. */
final class EventJson {
  static final ObjectMapper MAPPER = JsonMapper.builder().findAndAddModules().build();

  private EventJson() {}

  /** Any value (a map, a record, a JSON tree) as a JSON tree. */
  static JsonNode tree(Object value) {
    return value instanceof JsonNode node ? node : MAPPER.valueToTree(value);
  }

  /** A tree as compact JSON text. */
  static String text(JsonNode tree) {
    try {
      return MAPPER.writeValueAsString(tree);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("event data cannot be written as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** JSON text as a tree; text that is not JSON is an error (only this package writes these columns). */
  static JsonNode parse(String text) {
    try {
      return MAPPER.readTree(text == null ? "{}" : text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("an outbox row holds data that is not JSON: " + e.getOriginalMessage(), e);
    }
  }
}
