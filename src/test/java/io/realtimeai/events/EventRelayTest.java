package io.realtimeai.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.EventGridReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay with the real {@code EventGridPublisherClient}, a real HTTPS receiver and a real
 * Azurite: what reaches the topic, and that nothing is lost when the topic fails.
 */
@Tag("integration")
class EventRelayTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  @TempDir static Path certificates;
  private static EventGridReceiver receiver;

  private static final String KEY = "topic-key-for-tests";
  // Short enough that a test never waits on it: the clock is moved past it instead.
  private static final RetrySchedule SCHEDULE = new RetrySchedule(Duration.ofSeconds(1), Duration.ofMinutes(5));

  private final TestClock clock = new TestClock(Instant.parse("2025-01-31T12:00:00Z"));
  private EventOutbox outbox;

  @BeforeAll
  static void startReceiver() throws Exception {
    receiver = EventGridReceiver.start(certificates);
  }

  @AfterAll
  static void stopReceiver() {
    receiver.close();
  }

  @BeforeEach
  void freshOutboxAndReceiver() throws Exception {
    outbox = new EventOutbox(OutboxTables.fresh(azurite.storage()), clock);
    receiver.restart();
    receiver.answerWith(200);
    receiver.refuseEventsWhere(event -> false);
    receiver.clear();
  }

  @Test
  void deliverPending_sendsEventGridSchemaWithTheTopicKey() {
    Event event = outbox.record(EventType.MODEL_REGISTERED, Subjects.model("resnet50", "1"),
        Map.of("modelId", "resnet50:1", "version", 1), "resnet50:1");

    DeliveryReport report = relay(EventSchema.EVENT_GRID_EVENT).deliverPending();

    assertThat(report).isEqualTo(new DeliveryReport(true, 1, 0, 0, null));
    assertThat(receiver.requests()).hasSize(1);
    EventGridReceiver.Request request = receiver.requests().get(0);
    assertThat(request.header("aeg-sas-key")).isEqualTo(KEY);
    assertThat(request.header("content-type")).startsWith("application/json");
    JsonNode body = single(request.events());
    assertThat(body.get("id").asText()).isEqualTo(event.id());
    assertThat(body.get("eventType").asText()).isEqualTo("RealtimeAI.ModelRegistered");
    assertThat(body.get("subject").asText()).isEqualTo("/models/resnet50/versions/1");
    assertThat(Instant.parse(body.get("eventTime").asText())).isEqualTo(event.eventTime());
    assertThat(body.get("dataVersion").asText()).isEqualTo("1.0");
    assertThat(body.get("data").get("modelId").asText()).isEqualTo("resnet50:1");
    assertThat(body.get("data").get("version").asInt()).isEqualTo(1);

    RecordedEvent recorded = outbox.find(event.id()).orElseThrow();
    assertThat(recorded.delivered()).isTrue();
    assertThat(recorded.deliveredAt()).isEqualTo(clock.instant());
    assertThat(recorded.attempts()).isEqualTo(1);
    assertThat(outbox.pending(10)).isEmpty();
  }

  @Test
  void deliverPending_sendsCloudEventsWhenTheSchemaSettingSaysSo() {
    Event event = outbox.record(EventType.IMAGE_SCORED, Subjects.image("cats", "2025/tabby.jpg"),
        Map.of("top", List.of(Map.of("label", "tabby", "confidence", 0.9))), "images/cats/2025/tabby.jpg@1");

    relay(EventSchema.CLOUD_EVENT).deliverPending();

    EventGridReceiver.Request request = single(receiver.requests());
    assertThat(request.header("aeg-sas-key")).isEqualTo(KEY);
    JsonNode body = single(request.events());
    assertThat(body.get("specversion").asText()).isEqualTo("1.0");
    assertThat(body.get("type").asText()).isEqualTo("RealtimeAI.ImageScored");
    assertThat(body.get("source").asText()).isEqualTo(EventPublisher.CLOUD_EVENT_SOURCE);
    assertThat(body.get("subject").asText()).isEqualTo("/services/cats/images/2025/tabby.jpg");
    assertThat(body.get("id").asText()).isEqualTo(event.id());
    // RFC 3339, seconds included, even for an event recorded on the minute.
    assertThat(body.get("time").asText()).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z");
    assertThat(Duration.between(event.eventTime(), Instant.parse(body.get("time").asText()))).isBetween(Duration.ZERO, Duration.ofNanos(1));
    assertThat(body.get("data").get("top").get(0).get("label").asText()).isEqualTo("tabby");
    assertThat(body.has("eventType")).isFalse();
  }

  @Test
  void deliverPending_sendsManyEventsInBatchesAndEachOnce() {
    List<String> ids = record(250);

    DeliveryReport report = relay(EventSchema.EVENT_GRID_EVENT).deliverPending();

    assertThat(report.delivered()).isEqualTo(250);
    assertThat(receiver.requests().size()).isBetween(3, 10);
    assertThat(ids(receiver.events())).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(outbox.pending(1000)).isEmpty();
  }

  @Test
  void deliverPending_splitsLargeEventsIntoRequestsEventGridTakes() {
    String large = "x".repeat(30_000);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      ids.add(outbox.record(EventType.IMAGE_SCORED, Subjects.image("big", i + ".jpg"), Map.of("blob", large), "big-" + i).id());
    }

    assertThat(relay(EventSchema.EVENT_GRID_EVENT).deliverPending().delivered()).isEqualTo(40);

    assertThat(receiver.requests().size()).isGreaterThanOrEqualTo(3);
    assertThat(receiver.requests()).allSatisfy(r -> assertThat(r.body().length()).isLessThan(1024 * 1024));
    assertThat(ids(receiver.events())).containsExactlyInAnyOrderElementsOf(ids);
  }

  @Test
  void recordingAgainAfterDelivery_doesNotSendTheEventAgain() {
    Event event = outbox.record(EventType.MODEL_REGISTERED, Subjects.model("m", "1"), Map.of(), "m:1");
    EventRelay relay = relay(EventSchema.EVENT_GRID_EVENT);
    relay.deliverPending();

    // The step that recorded it runs again, say after its host crashed before the trigger completed.
    Event again = outbox.record(EventType.MODEL_REGISTERED, Subjects.model("m", "1"), Map.of(), "m:1");
    clock.advance(Duration.ofMinutes(10));
    DeliveryReport report = relay.deliverPending();

    assertThat(again.id()).isEqualTo(event.id());
    assertThat(report.delivered()).isZero();
    assertThat(ids(receiver.events())).containsExactly(event.id());
    assertThat(outbox.find(event.id()).orElseThrow().delivered()).isTrue();
  }

  @Test
  void receiverDown_eventsStayPendingWithAttemptsAndErrorThenAllArriveWhenItIsBack() throws Exception {
    List<String> ids = record(5);
    EventRelay relay = relay(EventSchema.EVENT_GRID_EVENT);
    receiver.stop();

    DeliveryReport down = relay.deliverPending();

    assertThat(down.delivered()).isZero();
    assertThat(down.failed()).isEqualTo(5);
    List<RecordedEvent> pending = outbox.pending(10);
    assertThat(pending).extracting(r -> r.event().id()).containsExactlyElementsOf(ids);
    assertThat(pending).allSatisfy(r -> {
      assertThat(r.delivered()).isFalse();
      assertThat(r.attempts()).isEqualTo(1);
      assertThat(r.lastError()).contains("cannot reach Event Grid");
    });
    assertThat(outbox.list(null, 10, null).events()).allSatisfy(r -> assertThat(r.attempts()).isEqualTo(1));

    // Still down at the next attempt: counted again, nothing lost.
    clock.advance(Duration.ofSeconds(2));
    relay.deliverPending();
    assertThat(outbox.pending(10)).hasSize(5).allSatisfy(r -> assertThat(r.attempts()).isEqualTo(2));

    receiver.restart();
    clock.advance(Duration.ofSeconds(4));
    DeliveryReport back = relay.deliverPending();

    assertThat(back.delivered()).isEqualTo(5);
    assertThat(ids(receiver.events())).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(outbox.pending(10)).isEmpty();
    assertThat(outbox.list(null, 10, null).events()).allSatisfy(r -> {
      assertThat(r.delivered()).isTrue();
      assertThat(r.attempts()).isEqualTo(3);
      assertThat(r.lastError()).contains("cannot reach Event Grid");
    });
  }

  @Test
  void topicAnsweringErrors_keepsEventsPendingWithTheStatusAndBacksOff() {
    List<String> ids = record(3);
    EventRelay relay = relay(EventSchema.EVENT_GRID_EVENT);
    receiver.answerWith(503);

    assertThat(relay.deliverPending().failed()).isEqualTo(3);
    assertThat(outbox.pending(10)).allSatisfy(r -> assertThat(r.lastError()).contains("HTTP 503"));

    // Not due again before the backoff has passed: nothing is sent.
    receiver.answerWith(200);
    receiver.clear();
    assertThat(relay.deliverPending()).isEqualTo(new DeliveryReport(true, 0, 0, 0, null));
    assertThat(receiver.requests()).isEmpty();

    clock.advance(Duration.ofSeconds(1));
    assertThat(relay.deliverPending().delivered()).isEqualTo(3);
    assertThat(ids(receiver.events())).containsExactlyInAnyOrderElementsOf(ids);
  }

  @Test
  void lostAcknowledgement_resendsTheSameEventsWithTheSameIds() {
    List<String> ids = record(4);
    EventRelay relay = relay(EventSchema.EVENT_GRID_EVENT);
    // The receiver takes the events, but its answer says it did not: as when the acknowledgement is lost.
    receiver.answerNextWith(500);

    DeliveryReport first = relay.deliverPending();
    clock.advance(Duration.ofSeconds(1));
    DeliveryReport second = relay.deliverPending();

    assertThat(first.failed()).isEqualTo(4);
    assertThat(second.delivered()).isEqualTo(4);
    List<EventGridReceiver.Request> requests = receiver.requests();
    assertThat(requests).extracting(EventGridReceiver.Request::status).containsExactly(500, 200);
    assertThat(ids(requests.get(0).events())).containsExactlyElementsOf(ids);
    assertThat(ids(requests.get(1).events())).containsExactlyElementsOf(ids);
    // At least once: every event arrived, none more than twice, and the re-sends are recognisable by id.
    assertThat(countById(receiver.events()).values()).allMatch(count -> count == 2);
    assertThat(ids(receiver.acknowledgedEvents())).containsExactlyElementsOf(ids);
  }

  @Test
  void refusedEvent_doesNotHoldBackTheOthers() {
    List<String> ids = record(4);
    receiver.refuseEventsWhere(event -> event.get("subject").asText().endsWith("/2.jpg"));

    DeliveryReport report = relay(EventSchema.EVENT_GRID_EVENT).deliverPending();

    assertThat(report.delivered()).isEqualTo(3);
    assertThat(report.failed()).isEqualTo(1);
    assertThat(ids(receiver.acknowledgedEvents())).containsExactlyInAnyOrder(ids.get(0), ids.get(1), ids.get(3));
    assertThat(outbox.pending(10)).singleElement().satisfies(r -> {
      assertThat(r.event().id()).isEqualTo(ids.get(2));
      assertThat(r.lastError()).contains("HTTP 400");
    });
  }

  @Test
  void noTopicConfigured_recordsEventsAndSendsNothing() {
    Event event = outbox.record(EventType.SERVICE_DELETED, Subjects.service("cats"), Map.of(), "op-9:deleted");
    EventRelay relay = new EventRelay(outbox, EventPublisher.disabled(), SCHEDULE, clock);

    DeliveryReport report = relay.deliverPending();

    assertThat(relay.publishing()).isFalse();
    assertThat(report).isEqualTo(DeliveryReport.disabled());
    assertThat(receiver.requests()).isEmpty();
    assertThat(outbox.list(null, 10, null).events()).extracting(r -> r.event().id()).containsExactly(event.id());
    assertThat(outbox.pending(10)).singleElement().satisfies(r -> assertThat(r.attempts()).isZero());

    // Configured later, the topic gets what waited.
    relay(EventSchema.EVENT_GRID_EVENT).deliverPending();
    assertThat(ids(receiver.events())).containsExactly(event.id());
  }

  @Test
  void twoRelays_deliverEachEventExactlyOnce() throws Exception {
    List<String> ids = record(120);
    EventRelay one = relay(EventSchema.EVENT_GRID_EVENT);
    EventRelay two = relay(EventSchema.EVENT_GRID_EVENT);

    ExecutorService hosts = Executors.newFixedThreadPool(2);
    try {
      List<Callable<DeliveryReport>> runs = List.of(one::deliverPending, two::deliverPending);
      List<DeliveryReport> reports = new ArrayList<>();
      for (Future<DeliveryReport> run : hosts.invokeAll(runs)) {
        reports.add(run.get());
      }
      assertThat(reports.stream().mapToInt(DeliveryReport::delivered).sum()).isEqualTo(120);
    } finally {
      hosts.shutdownNow();
    }

    assertThat(ids(receiver.events())).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(outbox.pending(1000)).isEmpty();
  }

  private EventRelay relay(EventSchema schema) {
    EventGridTopic topic = EventGridTopic.of(receiver.endpoint(), KEY).withSchema(schema).trusting(receiver.certificate());
    return new EventRelay(outbox, EventPublisher.to(topic), SCHEDULE, clock);
  }

  private List<String> record(int count) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ids.add(outbox.record(EventType.IMAGE_SCORED, Subjects.image("cats", i + ".jpg"), Map.of("n", i), "img-" + i).id());
      clock.advance(Duration.ofMillis(1));
    }
    return ids;
  }

  private static List<String> ids(List<JsonNode> events) {
    return events.stream().map(e -> e.get("id").asText()).toList();
  }

  private static Map<String, Long> countById(List<JsonNode> events) {
    return events.stream().collect(Collectors.groupingBy(e -> e.get("id").asText(), Collectors.counting()));
  }

  private static <T> T single(List<T> items) {
    assertThat(items).hasSize(1);
    return items.get(0);
  }
}
