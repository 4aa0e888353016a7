package io.realtimeai.events;

import static io.realtimeai.storage.TableValues.instant;
import static io.realtimeai.storage.TableValues.utc;

import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.rest.Response;
import com.azure.core.util.Context;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.models.ListEntitiesOptions;
import com.azure.data.tables.models.TableEntity;
import com.azure.data.tables.models.TableEntityUpdateMode;
import com.azure.data.tables.models.TableErrorCode;
import com.azure.data.tables.models.TableServiceException;
import com.azure.data.tables.models.TableTransactionAction;
import com.azure.data.tables.models.TableTransactionActionType;
import com.azure.data.tables.models.TableTransactionFailedException;
import com.fasterxml.jackson.databind.JsonNode;
import io.realtimeai.error.BadRequestException;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.TableBatcher;
import io.realtimeai.storage.TableDeletes;
import io.realtimeai.storage.StorageLayout;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * The event outbox: the {@code events} table, where every state change writes the event that
 * reports it, in the same step as the change; {@link EventRelay} sends what is pending.
 *
 * <p><b>Why no event is lost or duplicated.</b> Table Storage has no transaction across tables, so
 * the state change (say, a row in {@code models}) and its event cannot be written atomically.
 * Instead each step writes its state change, then calls {@link #record}, and relies on what every
 * state change in this app already has: it runs in a retried trigger or an idempotent step. The
 * event id is derived from (type, subject, dedupe key) by {@link EventIds}, where the dedupe key
 * names the state change (a model id and version, an operation id and step, an image's blob path
 * and ETag), and the write is idempotent: a step that crashed after its state change and runs
 * again records the same id, which writes the event if the crash came before it was recorded, and
 * finds it already there if the crash came after, instead of losing it or writing a second one.
 * The write inserts the event's rows only where its id is absent, rather than overwriting them:
 * recording again never resets an event's delivery, so an event already sent is not sent again
 * because its step re-ran, and the first recording's time and data stand.
 *
 * <p><b>Row layout.</b> One partition, {@value #PARTITION}, so that the rows of one event are
 * written together by an entity-group transaction (all or nothing), and row keys sort by time:
 * <ul>
 *   <li>{@code event:{time}:{id}} — the event and its delivery: {@code Id}, {@code EventType},
 *       {@code Subject}, {@code Data} (JSON), {@code DataVersion}, {@code EventTime},
 *       {@code DedupeKey}, {@code Delivered}, {@code DeliveredAt}, {@code Attempts},
 *       {@code LastError}. {@code time} is the UTC recording time to the microsecond
 *       ({@code 2025-01-31T12:00:00.123456Z}), so a key range is a time range: {@link #list} is a
 *       range query, in time order, paged by key.</li>
 *   <li>{@code pending:{time}:{id}} — present while the event is undelivered: a copy of the event
 *       plus {@code Attempts}, {@code NextAttemptAt}, {@code LastError}. The relay reads only these
 *       rows, so its work does not grow with history; it claims one by updating its
 *       {@code NextAttemptAt} under its ETag, and deletes it, under the same ETag and in one
 *       transaction with the event row's update, once the topic has taken the event.</li>
 *   <li>{@code id:{id}} — {@code EventKey}, the event row's key: makes {@link #record} idempotent
 *       (the transaction that inserts the three rows fails as a whole when it exists) and
 *       {@link #find} a point read.</li>
 * </ul>
 * One partition takes a few thousand writes a second, far more than this app's state changes.
 */
public final class EventOutbox {
  /** The one partition of the outbox. */
  static final String PARTITION = "outbox";
  /** Largest {@code top} of {@link #list}. */
  public static final int MAX_PAGE = 1000;
  /** Largest event data, in characters of JSON: a Table Storage string column holds 64 KiB of UTF-16. */
  public static final int MAX_DATA_CHARS = 32_000;

  private static final String EVENT = "event:";
  private static final String PENDING = "pending:";
  private static final String ID = "id:";
  // ';' follows ':' in ASCII: "prefix ≤ key < prefix-with-';'" is every key that starts with the prefix.
  private static final String EVENT_END = "event;";
  private static final String PENDING_END = "pending;";
  private static final int MAX_ERROR_CHARS = 2_000;

  private static final DateTimeFormatter KEY_TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
  private static final Pattern EVENT_KEY = Pattern.compile(
      "event:\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  private static final Pattern EVENT_ID =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  private final TableClient table;
  private final TableBatcher creations;
  private final Clock clock;
  private final AtomicReference<Instant> lastKeyTime = new AtomicReference<>(Instant.EPOCH);

  /** The outbox in the {@code events} table of {@code storage} (see {@link Storage#ensureLayout()}). */
  public EventOutbox(Storage storage) {
    this(storage.table(StorageLayout.EVENTS_TABLE), Clock.systemUTC());
  }

  /** The outbox in {@code table}, with event times from {@code clock} (tests use their own of both). */
  EventOutbox(TableClient table, Clock clock) {
    this.table = Objects.requireNonNull(table, "table");
    this.creations = new TableBatcher(table);
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Records the event reporting a state change; call it in the step that made the change, after
   * writing it. Idempotent: the same (type, subject, dedupe key) yields the event recorded first.
   *
   * @param type what happened
   * @param subject what it happened to ({@link Subjects})
   * @param data the payload: a map, a record or a JSON tree; null for none
   * @param dedupeKey names the state change, e.g. {@code "resnet:3"} or {@code operationId + ":deployed"}
   * @return the event as the outbox holds it
   */
  public Event record(EventType type, String subject, Object data, String dedupeKey) {
    return record(type, subject, data, dedupeKey, false);
  }

  private Event record(EventType type, String subject, Object data, String dedupeKey, boolean again) {
    Objects.requireNonNull(type, "type");
    String id = EventIds.of(type, subject, dedupeKey);
    JsonNode tree = EventJson.tree(data);
    String json = EventJson.text(tree);
    if (json.length() > MAX_DATA_CHARS) {
      throw new IllegalArgumentException("event data is " + json.length() + " characters of JSON; the limit is "
          + MAX_DATA_CHARS + ": keep large payloads in blob storage and put their path in the event");
    }
    AtomicReference<Event> recorded = new AtomicReference<>();
    try {
      // One transaction, shared with the events other threads record at the same moment; the time, and so the key,
      // taken as that transaction is sent (see keyTime).
      creations.create(PARTITION, () -> {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        Instant time = keyTime(now);
        Event event = new Event(id, type.wireName(), subject, tree, time, Event.DATA_VERSION);
        recorded.set(event);
        String eventKey = EVENT + KEY_TIME.format(time) + ":" + id;
        TableEntity idRow = new TableEntity(PARTITION, ID + id).addProperty(Columns.EVENT_KEY, eventKey);
        TableEntity eventRow = withEvent(new TableEntity(PARTITION, eventKey), event, json)
            .addProperty(Columns.DEDUPE_KEY, dedupeKey)
            .addProperty(Columns.DELIVERED, false)
            .addProperty(Columns.ATTEMPTS, 0);
        TableEntity pendingRow = withEvent(new TableEntity(PARTITION, PENDING + eventKey.substring(EVENT.length())),
            event, json)
            .addProperty(Columns.EVENT_KEY, eventKey)
            .addProperty(Columns.ATTEMPTS, 0)
            // Due by the clock, not by the key's time, which may run ahead of it (keyTime).
            .addProperty(Columns.NEXT_ATTEMPT_AT, utc(now));
        return List.of(idRow, eventRow, pendingRow);
      });
      return recorded.get();
    } catch (TableTransactionFailedException e) {
      if (status(e) != 409) {
        throw e;
      }
      // Recorded before (the step ran again): nothing was written, and the first recording stands — unless the retention
      // deleted it in between, and then this is a new recording.
      Optional<RecordedEvent> first = find(id);
      if (first.isPresent()) {
        return first.get().event();
      }
      if (again) {
        throw new IllegalStateException("event " + id + " conflicts with an existing row but cannot be read back", e);
      }
      return record(type, subject, data, dedupeKey, true);
    }
  }

  /**
   * The recording time of an event about to be written, truncated to the microsecond its row key shows (so that the
   * key and the column agree), and later than every one this outbox took before. Taken as the transaction that writes
   * the event is sent, one transaction after another, so that this host's events become visible in key order: a reader
   * paging on (continuation) or polling from the last time it saw ({@code since}) misses none. (Taken before the write,
   * an event could be keyed before one that another thread wrote first, and a reader that had read past that one would
   * never see it.) Events of several hosts interleave by their clocks.
   */
  private Instant keyTime(Instant now) {
    return lastKeyTime.updateAndGet(last -> now.isAfter(last) ? now : last.plus(1, ChronoUnit.MICROS));
  }

  /** The event with this id, with its delivery state, if the outbox holds it. */
  public Optional<RecordedEvent> find(String id) {
    if (id == null || !EVENT_ID.matcher(id).matches()) {
      return Optional.empty();
    }
    return get(ID + id).flatMap(row -> get((String) row.getProperty(Columns.EVENT_KEY))).map(EventOutbox::recorded);
  }

  /**
   * A page of events in the order they were recorded (by the recording host's clock).
   *
   * @param since the earliest recording time to include; null for the beginning
   * @param top the page size, 1 to {@value #MAX_PAGE}
   * @param continuation the token of the previous page, which supersedes {@code since}; null for the first page
   */
  public EventPage list(Instant since, int top, String continuation) {
    if (top < 1 || top > MAX_PAGE) {
      throw new IllegalArgumentException("top must be 1 to " + MAX_PAGE + ", got " + top);
    }
    String from;
    if (continuation != null) {
      from = "RowKey gt '" + decodeContinuation(continuation) + "'";
    } else if (since != null) {
      from = "RowKey ge '" + EVENT + KEY_TIME.format(since) + "'";
    } else {
      from = "RowKey ge '" + EVENT + "'";
    }
    // One more than asked: whether it comes back says whether there is a next page.
    List<TableEntity> rows = query(from + " and RowKey lt '" + EVENT_END + "'", top + 1);
    List<RecordedEvent> events = new ArrayList<>();
    for (int i = 0; i < Math.min(top, rows.size()); i++) {
      events.add(recorded(rows.get(i)));
    }
    String next = rows.size() > top ? encodeContinuation(rows.get(top - 1).getRowKey()) : null;
    return new EventPage(events, next);
  }

  /**
   * Deletes up to {@code limit} events recorded before {@code before}, oldest first, with their rows: every delivered
   * one, and the undelivered too when {@code undelivered} (no topic is configured, so the outbox is only a feed and
   * nothing would ever send them). An undelivered event is otherwise kept until the topic takes it, however old.
   *
   * @return how many events were deleted
   */
  public int expire(Instant before, boolean undelivered, int limit) {
    // Only the rows it may delete: a page of undelivered ones kept would otherwise hide the delivered ones after it.
    List<TableEntity> rows = query("RowKey ge '" + EVENT + "' and RowKey lt '" + EVENT + KEY_TIME.format(before) + "'"
        + (undelivered ? "" : " and " + Columns.DELIVERED + " eq true"), limit);
    List<String> keys = new ArrayList<>();
    int expired = 0;
    for (TableEntity row : rows) {
      boolean delivered = Boolean.TRUE.equals(row.getProperty(Columns.DELIVERED));
      if (keys.size() + 3 > TableDeletes.MAX_TRANSACTION) {
        TableDeletes.deleteAll(table, PARTITION, keys);
        keys.clear();
      }
      // The event row last: should the rows go one by one (TableDeletes) and stop part way, the next call finds it again.
      if (!delivered) {
        keys.add(PENDING + row.getRowKey().substring(EVENT.length()));
      }
      keys.add(ID + row.getProperty(Columns.ID));
      keys.add(row.getRowKey());
      expired++;
    }
    TableDeletes.deleteAll(table, PARTITION, keys);
    return expired;
  }

  /** Up to {@code limit} undelivered events, oldest first, including those waiting to be retried. */
  public List<RecordedEvent> pending(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be 1 or more, got " + limit);
    }
    return query("RowKey ge '" + PENDING + "' and RowKey lt '" + PENDING_END + "'", limit).stream()
        .map(EventOutbox::recorded).toList();
  }

  /** Up to {@code limit} undelivered events whose next attempt is due at {@code now}, oldest first. */
  List<Delivery> due(Instant now, int limit) {
    return query("RowKey ge '" + PENDING + "' and RowKey lt '" + PENDING_END + "' and "
        + Columns.NEXT_ATTEMPT_AT + " le datetime'" + KEY_TIME.format(now) + "'", limit)
        .stream().map(row -> new Delivery(recorded(row).event(), row.getRowKey(),
            (String) row.getProperty(Columns.EVENT_KEY), attempts(row), row.getETag()))
        .toList();
  }

  /**
   * Claims a due event for one relay until {@code leaseUntil}: moves its next attempt there, on the
   * condition that its pending row is as this relay read it. A relay that lost the race to another
   * gets nothing and skips the event; a relay that dies holding a claim lets it lapse.
   */
  Optional<Delivery> claim(Delivery delivery, Instant leaseUntil) {
    TableEntity row = new TableEntity(PARTITION, delivery.pendingKey())
        .addProperty(Columns.ODATA_ETAG, delivery.etag())
        .addProperty(Columns.NEXT_ATTEMPT_AT, utc(leaseUntil));
    try {
      Response<Void> response = table.updateEntityWithResponse(row, TableEntityUpdateMode.MERGE, true, null, Context.NONE);
      return Optional.of(delivery.withEtag(weakEtag(response.getHeaders().getValue(HttpHeaderName.ETAG))));
    } catch (TableServiceException e) {
      if (lostRace(e)) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /**
   * Marks a claimed event delivered: deletes its pending row and updates its event row, together.
   *
   * @return false when the claim had lapsed and another relay holds the event (it will be sent again)
   */
  boolean markDelivered(Delivery claimed, Instant at) {
    TableEntity pending = new TableEntity(PARTITION, claimed.pendingKey()).addProperty(Columns.ODATA_ETAG, claimed.etag());
    TableEntity event = new TableEntity(PARTITION, claimed.eventKey())
        .addProperty(Columns.DELIVERED, true)
        .addProperty(Columns.DELIVERED_AT, utc(at))
        .addProperty(Columns.ATTEMPTS, claimed.attempts() + 1);
    return underClaim(List.of(
        new TableTransactionAction(TableTransactionActionType.DELETE, pending, true),
        new TableTransactionAction(TableTransactionActionType.UPDATE_MERGE, event)));
  }

  /**
   * Puts a claimed event back to wait for {@code nextAttemptAt}, counting the attempt and keeping its error.
   *
   * @return false when the claim had lapsed and another relay holds the event
   */
  boolean markFailed(Delivery claimed, Instant nextAttemptAt, String error) {
    String lastError = error == null ? "unknown error"
        : error.length() > MAX_ERROR_CHARS ? error.substring(0, MAX_ERROR_CHARS) + "…" : error;
    int attempts = claimed.attempts() + 1;
    TableEntity pending = new TableEntity(PARTITION, claimed.pendingKey())
        .addProperty(Columns.ODATA_ETAG, claimed.etag())
        .addProperty(Columns.ATTEMPTS, attempts)
        .addProperty(Columns.NEXT_ATTEMPT_AT, utc(nextAttemptAt))
        .addProperty(Columns.LAST_ERROR, lastError);
    TableEntity event = new TableEntity(PARTITION, claimed.eventKey())
        .addProperty(Columns.ATTEMPTS, attempts)
        .addProperty(Columns.LAST_ERROR, lastError);
    return underClaim(List.of(
        new TableTransactionAction(TableTransactionActionType.UPDATE_MERGE, pending, true),
        new TableTransactionAction(TableTransactionActionType.UPDATE_MERGE, event)));
  }

  // The event row is written only together with the pending row under the claim's ETag, so only the
  // holder of the claim ever changes it.
  private boolean underClaim(List<TableTransactionAction> actions) {
    try {
      table.submitTransaction(actions);
      return true;
    } catch (TableTransactionFailedException e) {
      if (lostRace(e)) {
        return false;
      }
      throw e;
    }
  }

  // Azurite 3.35 answers a merge with a weak ETag missing its closing quote (W/"datetime'…'), which it
  // then refuses in a transaction's If-Match; the storage service sends it whole, and whole it stays.
  private static String weakEtag(String etag) {
    if (etag == null) {
      throw new IllegalStateException("the table service answered a conditional update without an ETag");
    }
    return etag.startsWith("W/\"") && !etag.endsWith("\"") ? etag + "\"" : etag;
  }

  private static boolean lostRace(TableServiceException e) {
    int status = status(e);
    return status == 412 || status == 404;
  }

  // A failed transaction may come without the HTTP response of its failed action, only with the
  // service's error code: read the status from whichever is there.
  private static int status(TableServiceException e) {
    if (e.getResponse() != null && !(e instanceof TableTransactionFailedException)) {
      return e.getResponse().getStatusCode();
    }
    TableErrorCode code = e.getValue() == null ? null : e.getValue().getErrorCode();
    if (TableErrorCode.ENTITY_ALREADY_EXISTS.equals(code)) {
      return 409;
    }
    if (TableErrorCode.UPDATE_CONDITION_NOT_SATISFIED.equals(code)) {
      return 412;
    }
    if (TableErrorCode.RESOURCE_NOT_FOUND.equals(code) || TableErrorCode.ENTITY_NOT_FOUND.equals(code)) {
      return 404;
    }
    return e.getResponse() == null ? 0 : e.getResponse().getStatusCode();
  }

  private List<TableEntity> query(String keyFilter, int limit) {
    ListEntitiesOptions options = new ListEntitiesOptions()
        .setFilter("PartitionKey eq '" + PARTITION + "' and " + keyFilter)
        .setTop(Math.min(limit, MAX_PAGE));
    return table.listEntities(options, null, Context.NONE).stream().limit(limit).toList();
  }

  private Optional<TableEntity> get(String rowKey) {
    try {
      return Optional.of(table.getEntity(PARTITION, rowKey));
    } catch (TableServiceException e) {
      if (status(e) == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private static TableEntity withEvent(TableEntity row, Event event, String json) {
    return row.addProperty(Columns.ID, event.id())
        .addProperty(Columns.EVENT_TYPE, event.eventType())
        .addProperty(Columns.SUBJECT, event.subject())
        .addProperty(Columns.DATA, json)
        .addProperty(Columns.DATA_VERSION, event.dataVersion())
        .addProperty(Columns.EVENT_TIME, utc(event.eventTime()));
  }

  private static RecordedEvent recorded(TableEntity row) {
    Event event = new Event((String) row.getProperty(Columns.ID), (String) row.getProperty(Columns.EVENT_TYPE),
        (String) row.getProperty(Columns.SUBJECT), EventJson.parse((String) row.getProperty(Columns.DATA)),
        instant(row.getProperty(Columns.EVENT_TIME)), (String) row.getProperty(Columns.DATA_VERSION));
    boolean delivered = Boolean.TRUE.equals(row.getProperty(Columns.DELIVERED));
    Object deliveredAt = row.getProperty(Columns.DELIVERED_AT);
    return new RecordedEvent(event, delivered, deliveredAt == null ? null : instant(deliveredAt), attempts(row),
        (String) row.getProperty(Columns.LAST_ERROR));
  }

  private static int attempts(TableEntity row) {
    Object attempts = row.getProperty(Columns.ATTEMPTS);
    return attempts instanceof Number n ? n.intValue() : 0;
  }

  // The continuation token is the last row key of the page, opaque to callers; decoding checks its
  // shape, so a token cannot carry anything else into the query filter.
  private static String encodeContinuation(String rowKey) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(rowKey.getBytes(StandardCharsets.UTF_8));
  }

  private static String decodeContinuation(String token) {
    try {
      String rowKey = new String(Base64.getUrlDecoder().decode(token.strip()), StandardCharsets.UTF_8);
      if (EVENT_KEY.matcher(rowKey).matches()) {
        return rowKey;
      }
    } catch (IllegalArgumentException e) {
      // not base64: answered below like any other token this API did not issue
    }
    throw new BadRequestException("continuation: '" + token + "' is not a continuation token of GET /api/events");
  }

  /** A pending event as a relay sees it: the event, its rows, its attempts so far, and the ETag it was read (or claimed) with. */
  record Delivery(Event event, String pendingKey, String eventKey, int attempts, String etag) {
    Delivery withEtag(String newEtag) {
      return new Delivery(event, pendingKey, eventKey, attempts, newEtag);
    }
  }

  /** Column names of the outbox rows. */
  private static final class Columns {
    static final String ID = "Id";
    static final String EVENT_TYPE = "EventType";
    static final String SUBJECT = "Subject";
    static final String DATA = "Data";
    static final String DATA_VERSION = "DataVersion";
    static final String EVENT_TIME = "EventTime";
    static final String DEDUPE_KEY = "DedupeKey";
    static final String DELIVERED = "Delivered";
    static final String DELIVERED_AT = "DeliveredAt";
    static final String ATTEMPTS = "Attempts";
    static final String NEXT_ATTEMPT_AT = "NextAttemptAt";
    static final String LAST_ERROR = "LastError";
    static final String EVENT_KEY = "EventKey";
    // Where TableEntity keeps the ETag that a conditional write sends as If-Match.
    static final String ODATA_ETAG = "odata.etag";
  }
}
