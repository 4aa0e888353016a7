package io.realtimeai.events;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.realtimeai.error.BadRequestException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Objects;

/**
 * {@code GET /api/events}: the outbox as a paged JSON feed,
 * {@code {"value": [{id, eventType, subject, eventTime, dataVersion, data, delivered, deliveredAt,
 * attempts, lastError}…], "nextLink": "/api/events?…" or null}}.
 */
public final class EventFeed {
  /** The page size when {@code top} is not given. */
  public static final int DEFAULT_TOP = 100;
  private static final String PATH = "/api/events";

  private final EventOutbox outbox;

  /** The feed of {@code outbox}. */
  public EventFeed(EventOutbox outbox) {
    this.outbox = Objects.requireNonNull(outbox, "outbox");
  }

  /**
   * The page the query parameters ask for, as JSON.
   *
   * @param parameters {@code since} (ISO-8601 instant), {@code top} (1–1000, default 100), {@code continuation}
   * @throws BadRequestException naming the parameter that is malformed
   */
  public String page(Map<String, String> parameters) {
    Query query = Query.parse(parameters);
    return render(outbox.list(query.since(), query.top(), query.continuation()), query.top());
  }

  static String render(EventPage page, int top) {
    ObjectNode body = EventJson.MAPPER.createObjectNode();
    ArrayNode value = body.putArray("value");
    for (RecordedEvent recorded : page.events()) {
      Event event = recorded.event();
      ObjectNode item = value.addObject()
          .put("id", event.id())
          .put("eventType", event.eventType())
          .put("subject", event.subject())
          .put("eventTime", event.eventTime().toString())
          .put("dataVersion", event.dataVersion());
      item.set("data", event.data());
      item.put("delivered", recorded.delivered())
          .put("deliveredAt", recorded.deliveredAt() == null ? null : recorded.deliveredAt().toString())
          .put("attempts", recorded.attempts())
          .put("lastError", recorded.lastError());
    }
    // The token is base64url: it needs no escaping in a query string.
    body.put("nextLink", page.hasMore() ? PATH + "?top=" + top + "&continuation=" + page.continuation() : null);
    return EventJson.text(body);
  }

  /**
   * The query of one request.
   *
   * @param since the earliest event time; null for the beginning
   * @param top the page size
   * @param continuation the previous page's token; null for the first page
   */
  record Query(Instant since, int top, String continuation) {
    /** Reads the parameters, whose names match in any case, as the Functions host's do. */
    static Query parse(Map<String, String> parameters) {
      String since = parameter(parameters, "since");
      String top = parameter(parameters, "top");
      return new Query(since == null ? null : instant(since), top == null ? DEFAULT_TOP : top(top),
          parameter(parameters, "continuation"));
    }

    private static Instant instant(String value) {
      try {
        return Instant.parse(value);
      } catch (DateTimeParseException e) {
        try {
          return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException again) {
          throw new BadRequestException("since: '" + value + "' is not an ISO-8601 instant such as 2025-01-31T12:00:00Z", e);
        }
      }
    }

    private static int top(String value) {
      try {
        int top = Integer.parseInt(value);
        if (top >= 1 && top <= EventOutbox.MAX_PAGE) {
          return top;
        }
      } catch (NumberFormatException e) {
        // answered below, like a number out of range
      }
      throw new BadRequestException("top: must be a whole number from 1 to " + EventOutbox.MAX_PAGE + ", got '" + value + "'");
    }

    private static String parameter(Map<String, String> parameters, String name) {
      if (parameters == null) {
        return null;
      }
      for (Map.Entry<String, String> entry : parameters.entrySet()) {
        if (name.equalsIgnoreCase(entry.getKey()) && entry.getValue() != null && !entry.getValue().isBlank()) {
          return entry.getValue().strip();
        }
      }
      return null;
    }
  }
}
