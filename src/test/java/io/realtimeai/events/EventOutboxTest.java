package io.realtimeai.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.http.HttpMethod;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.models.TableEntity;
import io.realtimeai.error.BadRequestException;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.BeforeRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The outbox on a real Azurite: idempotent recording, time-ordered paging, the pending set. */
@Tag("integration")
class EventOutboxTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();

  private final TestClock clock = new TestClock(Instant.parse("2025-01-31T12:00:00.123456Z"));
  private TableClient table;
  private EventOutbox outbox;

  @BeforeEach
  void freshOutbox() {
    table = OutboxTables.fresh(azurite.storage());
    outbox = new EventOutbox(table, clock);
  }

  @Test
  void record_writesTheEventToTheTableAndListReturnsIt() {
    Event event = outbox.record(EventType.MODEL_REGISTERED, Subjects.model("resnet50", "1"),
        Map.of("modelId", "resnet50:1", "sha256", "ab12"), "resnet50:1");

    List<TableEntity> rows = table.listEntities().stream().toList();
    assertThat(rows).extracting(TableEntity::getRowKey).containsExactlyInAnyOrder(
        "event:2025-01-31T12:00:00.123456Z:" + event.id(),
        "pending:2025-01-31T12:00:00.123456Z:" + event.id(),
        "id:" + event.id());
    TableEntity row = table.getEntity("outbox", "event:2025-01-31T12:00:00.123456Z:" + event.id());
    assertThat(row.getProperties()).containsEntry("EventType", "RealtimeAI.ModelRegistered")
        .containsEntry("Subject", "/models/resnet50/versions/1").containsEntry("Delivered", false)
        .containsEntry("Attempts", 0).containsEntry("DedupeKey", "resnet50:1");

    EventPage page = outbox.list(null, 10, null);
    assertThat(page.events()).hasSize(1);
    RecordedEvent listed = page.events().get(0);
    assertThat(listed.event()).isEqualTo(event);
    assertThat(listed.event().data().get("modelId").asText()).isEqualTo("resnet50:1");
    assertThat(listed.event().eventTime()).isEqualTo(Instant.parse("2025-01-31T12:00:00.123456Z"));
    assertThat(listed.delivered()).isFalse();
    assertThat(listed.attempts()).isZero();
    assertThat(page.hasMore()).isFalse();
  }

  @Test
  void record_sameStateChangeTwiceKeepsOneEventWithOneId() {
    Event first = outbox.record(EventType.SERVICE_DEPLOYED, Subjects.service("cats"), Map.of("replicas", 1), "op-7:deployed");
    clock.advance(Duration.ofMinutes(3));
    Event again = outbox.record(EventType.SERVICE_DEPLOYED, Subjects.service("cats"), Map.of("replicas", 1), "op-7:deployed");

    assertThat(again.id()).isEqualTo(first.id());
    assertThat(again.eventTime()).isEqualTo(first.eventTime());
    assertThat(table.listEntities().stream().toList()).hasSize(3);
    assertThat(outbox.list(null, 10, null).events()).extracting(r -> r.event().id()).containsExactly(first.id());
    assertThat(outbox.pending(10)).hasSize(1);
  }

  @Test
  void record_anotherStateChangeOfTheSameSubjectIsAnotherEvent() {
    Event scored = outbox.record(EventType.IMAGE_SCORED, Subjects.image("cats", "a.jpg"), null, "images/cats/a.jpg@etag1");
    Event rescored = outbox.record(EventType.IMAGE_SCORED, Subjects.image("cats", "a.jpg"), null, "images/cats/a.jpg@etag2");

    assertThat(rescored.id()).isNotEqualTo(scored.id());
    assertThat(outbox.list(null, 10, null).events()).hasSize(2);
  }

  @Test
  void find_readsAnEventByIdWithItsDeliveryState() {
    Event event = outbox.record(EventType.MODEL_DELETED, Subjects.model("m", "2"), Map.of(), "m:2:deleted");

    assertThat(outbox.find(event.id())).hasValueSatisfying(found -> {
      assertThat(found.event()).isEqualTo(event);
      assertThat(found.delivered()).isFalse();
    });
    assertThat(outbox.find("00000000-0000-5000-8000-000000000000")).isEmpty();
    assertThat(outbox.find("not an id")).isEmpty();
  }

  @Test
  void eventsRecordedByManyThreads_becomeVisibleInKeyOrder_soAReaderPollingSinceTheLastOneMissesNone() throws Exception {
    // A clock that is slow to answer, as a thread descheduled between reading the time and writing its event is: when
    // the key was taken before the write, events keyed earlier became visible after later-keyed ones, and a reader
    // that had read past those never saw them.
    Clock slow = new Clock() {
      @Override
      public Instant instant() {
        Instant now = Instant.now();
        try {
          Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextInt(3));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return now;
      }

      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        return this;
      }
    };
    EventOutbox busy = new EventOutbox(table, slow);
    int writers = 6;
    int each = 40;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Future<?>> done = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int writer = w;
      done.add(pool.submit(() -> {
        for (int i = 0; i < each; i++) {
          busy.record(EventType.IMAGE_SCORED, Subjects.image("busy", writer + "-" + i + ".jpg"), Map.of(), "w" + writer + ":" + i);
        }
      }));
    }
    Set<String> seen = new HashSet<>();
    Instant since = null;
    boolean writing = true;
    while (writing) {
      writing = done.stream().anyMatch(f -> !f.isDone());
      // Polled from the last event's time, inclusive; an event seen twice there counts once.
      for (RecordedEvent event : busy.list(since, EventOutbox.MAX_PAGE, null).events()) {
        seen.add(event.event().id());
        since = event.event().eventTime();
      }
    }
    pool.shutdown();
    for (Future<?> future : done) {
      future.get();
    }

    assertThat(busy.list(null, EventOutbox.MAX_PAGE, null).events()).hasSize(writers * each);
    assertThat(seen).as("events the polling reader saw").hasSize(writers * each);
  }

  @Test
  void list_returnsEventsInTimeOrderFromSince() {
    List<String> ids = recordSeries(5);

    EventPage fromThird = outbox.list(Instant.parse("2025-01-31T12:00:02.123456Z"), 10, null);

    assertThat(fromThird.events()).extracting(r -> r.event().id()).containsExactlyElementsOf(ids.subList(2, 5));
  }

  @Test
  void list_pagesWithContinuationTokensUntilTheLastPage() {
    List<String> ids = recordSeries(7);

    List<String> seen = new ArrayList<>();
    String continuation = null;
    int pages = 0;
    do {
      EventPage page = outbox.list(null, 3, continuation);
      page.events().forEach(r -> seen.add(r.event().id()));
      continuation = page.continuation();
      pages++;
    } while (continuation != null);

    assertThat(pages).isEqualTo(3);
    assertThat(seen).containsExactlyElementsOf(ids);
  }

  @Test
  void list_aFullLastPageHasNoContinuation() {
    recordSeries(3);

    assertThat(outbox.list(null, 3, null).hasMore()).isFalse();
  }

  @Test
  void list_refusesAContinuationItDidNotIssue() {
    assertThatThrownBy(() -> outbox.list(null, 10, "bm90LWEta2V5"))
        .isInstanceOf(BadRequestException.class).hasMessageContaining("continuation");
    assertThatThrownBy(() -> outbox.list(null, 10, "' or true or '"))
        .isInstanceOf(BadRequestException.class).hasMessageContaining("continuation");
  }

  @Test
  void pending_refusesALimitBelowOne() {
    assertThatThrownBy(() -> outbox.pending(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void pending_holdsTheUndeliveredEventsOldestFirst() {
    List<String> ids = recordSeries(4);

    assertThat(outbox.pending(10)).extracting(r -> r.event().id()).containsExactlyElementsOf(ids);
    assertThat(outbox.pending(2)).extracting(r -> r.event().id()).containsExactlyElementsOf(ids.subList(0, 2));
  }

  @Test
  void record_refusesDataTooLargeForATableColumn() {
    String large = "x".repeat(EventOutbox.MAX_DATA_CHARS);

    assertThatThrownBy(() -> outbox.record(EventType.IMAGE_SCORED, "/services/s/images/a", Map.of("blob", large), "k"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blob storage");
    assertThat(outbox.pending(10)).isEmpty();
  }

  @Test
  void outboxOfStorage_writesToTheEventsTableOfTheLayout() {
    EventOutbox app = new EventOutbox(azurite.storage().ensureLayout());

    Event event = app.record(EventType.MODEL_REJECTED, Subjects.model("bad", "1"), Map.of("reason", "no onnx"), "bad:1");

    assertThat(azurite.storage().table(StorageLayout.EVENTS_TABLE).getEntity("outbox", "id:" + event.id())).isNotNull();
  }

  @Test
  void claim_secondClaimOfTheSameReadLosesTheRace() {
    outbox.record(EventType.IMAGE_SCORED, Subjects.image("cats", "a.jpg"), null, "a");
    EventOutbox.Delivery read = outbox.due(clock.instant(), 10).get(0);

    assertThat(outbox.claim(read, clock.instant().plusSeconds(60))).isPresent();
    assertThat(outbox.claim(read, clock.instant().plusSeconds(60))).isEmpty();
    assertThat(outbox.due(clock.instant(), 10)).isEmpty();
  }

  @Test
  void markDelivered_afterTheClaimLapsedAndAnotherRelayTookItReportsTheLostRace() {
    Event event = outbox.record(EventType.IMAGE_SCORED, Subjects.image("cats", "a.jpg"), null, "a");
    EventOutbox.Delivery slow = outbox.claim(outbox.due(clock.instant(), 10).get(0), clock.instant().plusSeconds(60)).orElseThrow();
    clock.advance(Duration.ofSeconds(61));
    EventOutbox.Delivery fast = outbox.claim(outbox.due(clock.instant(), 10).get(0), clock.instant().plusSeconds(60)).orElseThrow();

    assertThat(outbox.markFailed(slow, clock.instant(), "late")).isFalse();
    assertThat(outbox.markDelivered(fast, clock.instant())).isTrue();
    assertThat(outbox.markDelivered(slow, clock.instant())).isFalse();

    RecordedEvent recorded = outbox.find(event.id()).orElseThrow();
    assertThat(recorded.delivered()).isTrue();
    assertThat(recorded.attempts()).isEqualTo(1);
    assertThat(recorded.lastError()).isNull();
  }

  private List<String> recordSeries(int count) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ids.add(outbox.record(EventType.IMAGE_SCORED, Subjects.image("cats", i + ".jpg"), Map.of("n", i), "img-" + i).id());
      clock.advance(Duration.ofSeconds(1));
    }
    return ids;
  }

  @Test
  void record_ofAStateChangeWhoseEventExpiresBetweenItsConflictAndItsReadBack_recordsItAgain() {
    Event first = outbox.record(EventType.SERVICE_DEPLOYED, Subjects.service("cats"), Map.of("replicas", 1), "op-9:deployed");
    clock.advance(Duration.ofMinutes(3));
    // The step runs again: its transaction meets the first recording's rows (409), and the retention deletes them
    // before it reads them back.
    BeforeRequest retention = new BeforeRequest(HttpMethod.GET, "RowKey='id:" + first.id() + "'",
        () -> table.listEntities().stream().filter(row -> row.getRowKey().endsWith(first.id())).forEach(table::deleteEntity));
    EventOutbox racing = new EventOutbox(BeforeRequest.table(azurite.connectionString(), table.getTableName(), retention),
        clock);

    Event again = racing.record(EventType.SERVICE_DEPLOYED, Subjects.service("cats"), Map.of("replicas", 1), "op-9:deployed");

    assertThat(retention.happened()).isTrue();
    assertThat(again.id()).isEqualTo(first.id());
    assertThat(again.eventTime()).isAfter(first.eventTime());
    assertThat(outbox.find(first.id())).get().extracting(RecordedEvent::event).isEqualTo(again);
    assertThat(outbox.pending(10)).extracting(r -> r.event().id()).containsExactly(first.id());
    assertThat(table.listEntities().stream().toList()).hasSize(3);
  }

  @Test
  void expire_deletesDeliveredEventsRecordedBeforeTheCutoffAndKeepsTheUndeliveredAndTheNewer() {
    Event sent = outbox.record(EventType.MODEL_REGISTERED, Subjects.model("old", "1"), Map.of(), "old:1");
    Event unsent = outbox.record(EventType.MODEL_REGISTERED, Subjects.model("old", "2"), Map.of(), "old:2");
    assertThat(outbox.markDelivered(outbox.claim(outbox.due(clock.instant(), 10).stream()
        .filter(d -> d.event().id().equals(sent.id())).findFirst().orElseThrow(), clock.instant().plusSeconds(60))
        .orElseThrow(), clock.instant())).isTrue();
    clock.advance(Duration.ofMinutes(10));
    Instant cutoff = clock.instant();
    Event newer = outbox.record(EventType.MODEL_REGISTERED, Subjects.model("new", "1"), Map.of(), "new:1");
    assertThat(outbox.markDelivered(outbox.claim(outbox.due(clock.instant(), 10).stream()
        .filter(d -> d.event().id().equals(newer.id())).findFirst().orElseThrow(), clock.instant().plusSeconds(60))
        .orElseThrow(), clock.instant())).isTrue();

    assertThat(outbox.expire(cutoff, false, 1000)).isEqualTo(1);

    assertThat(outbox.find(sent.id())).isEmpty();
    assertThat(outbox.find(unsent.id())).isPresent();
    assertThat(outbox.pending(10)).extracting(r -> r.event().id()).containsExactly(unsent.id());
    assertThat(outbox.list(null, 10, null).events()).extracting(r -> r.event().id()).containsExactly(unsent.id(), newer.id());
    // Every row of the expired event is gone.
    assertThat(table.listEntities().stream().map(TableEntity::getRowKey)).noneMatch(key -> key.contains(sent.id()));
  }

  @Test
  void expire_withNothingToSendThemTo_deletesTheUndeliveredToo_aPageAtATime() {
    for (int i = 0; i < 50; i++) {
      outbox.record(EventType.MODEL_REGISTERED, Subjects.model("old", Integer.toString(i)), Map.of(), "old:" + i);
    }
    clock.advance(Duration.ofMinutes(10));
    Instant cutoff = clock.instant();
    Event newer = outbox.record(EventType.MODEL_REGISTERED, Subjects.model("new", "1"), Map.of(), "new:1");

    // A call takes at most its limit; the 40 left are 120 rows, more than one transaction holds (100 actions).
    assertThat(outbox.expire(cutoff, true, 10)).isEqualTo(10);
    assertThat(outbox.expire(cutoff, true, 1000)).isEqualTo(40);
    assertThat(outbox.expire(cutoff, true, 1000)).isZero();

    assertThat(table.listEntities().stream().map(TableEntity::getRowKey).toList())
        .hasSize(3).allMatch(key -> key.endsWith(newer.id()));
    assertThat(outbox.pending(100)).extracting(r -> r.event().id()).containsExactly(newer.id());
  }
}
