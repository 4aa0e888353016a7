package io.realtimeai.events;

import java.util.Locale;

/** The schema events are published in: Event Grid's own, or CloudEvents 1.0. */
public enum EventSchema {
  /** {@code [{id, eventType, subject, eventTime, data, dataVersion}]}, the default. */
  EVENT_GRID_EVENT("EventGridEvent"),
  /** CloudEvents 1.0 JSON: {@code [{specversion, type, source, id, time, subject, data}]}. */
  CLOUD_EVENT("CloudEvent");

  private final String settingValue;

  EventSchema(String settingValue) {
    this.settingValue = settingValue;
  }

  /** How the {@code EVENTGRID_SCHEMA} setting names it. */
  public String settingValue() {
    return settingValue;
  }

  /**
   * The schema a setting names: {@code EventGridEvent} (or Azure's {@code EventGridSchema}),
   * {@code CloudEvent} (or {@code CloudEvents}, {@code CloudEventSchemaV1_0}), any case.
   */
  public static EventSchema parse(String value) {
    String name = value.strip().toLowerCase(Locale.ROOT);
    return switch (name) {
      case "eventgridevent", "eventgridschema", "eventgrid" -> EVENT_GRID_EVENT;
      case "cloudevent", "cloudevents", "cloudeventschemav1_0", "cloudevents1.0" -> CLOUD_EVENT;
      default -> throw new IllegalArgumentException("'" + value + "' is not an event schema: use EventGridEvent or CloudEvent");
    };
  }
}
