package io.realtimeai.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Values as table rows hold them: instants in DateTime columns (UTC), and structured values as
 * JSON text, since a Table Storage column holds only a scalar.
 */
public final class TableValues {
  private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();

  private TableValues() {}

  /** An instant for a DateTime column, in UTC; null stays null. */
  public static OffsetDateTime utc(Instant instant) {
    return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }

  /** A DateTime column read back (the SDK answers an {@link OffsetDateTime}, or its text); null stays null. */
  public static Instant instant(Object value) {
    if (value instanceof OffsetDateTime time) {
      return time.toInstant();
    }
    return value == null ? null : OffsetDateTime.parse(value.toString()).toInstant();
  }

  /** A value as a JSON text column. */
  public static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + value + " as JSON", e);
    }
  }

  /** A JSON text column read back as {@code type}; null or blank is null. */
  public static <T> T parse(String json, TypeReference<T> type) {
    if (json == null || json.isBlank()) {
      return null;
    }
    try {
      return JSON.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable JSON column: " + e.getOriginalMessage(), e);
    }
  }
}
