package io.realtimeai.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Instant;
import java.util.Objects;

/**
 * One event, as subscribers receive it (Event Grid schema field names).
 *
 * @param id stable id, derived from the state change it reports ({@link EventIds}); the same on every re-send
 * @param eventType the wire name of an {@link EventType}, e.g. {@code RealtimeAI.ImageScored}
 * @param subject what it is about, e.g. {@code /services/resnet/images/cats/1.jpg} ({@link Subjects})
 * @param data the payload, a JSON tree (an empty object when there is none)
 * @param eventTime when it was first recorded
 * @param dataVersion the schema version of {@code data}
 */
public record Event(String id, String eventType, String subject, JsonNode data, Instant eventTime, String dataVersion) {
  /** The data version of every event this app writes. */
  public static final String DATA_VERSION = "1.0";

  public Event {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(eventType, "eventType");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(eventTime, "eventTime");
    Objects.requireNonNull(dataVersion, "dataVersion");
    // A copy: JSON trees are mutable and a record is a value.
    data = data == null || data.isNull() ? JsonNodeFactory.instance.objectNode() : data.deepCopy();
  }

  /** The data; a copy, so that the event stays as it was recorded. */
  @Override
  public JsonNode data() {
    return data.deepCopy();
  }
}
