package io.realtimeai.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.azure.functions.HttpResponseMessage;
import io.realtimeai.app.App;
import io.realtimeai.app.AppSettings;
import io.realtimeai.functions.EventRelayFunction;
import io.realtimeai.functions.EventsFunction;
import io.realtimeai.host.InvocationContext;
import io.realtimeai.host.http.HttpRequests;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.EventGridReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The two functions, called as the Java worker calls them, over a real Azurite. */
@Tag("integration")
class EventsFunctionTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();
  private static final ObjectMapper JSON = new ObjectMapper();

  private final TestClock clock = new TestClock(Instant.parse("2025-02-01T08:00:00.5Z"));
  private final EventsFunction function = new EventsFunction();
  private EventOutbox outbox;

  @BeforeEach
  void freshOutbox() {
    outbox = new EventOutbox(OutboxTables.fresh(azurite.storage()), clock);
    App.install(App.of(azurite.storage(), outbox, EventPublisher.disabled()));
  }

  @AfterEach
  void forget() {
    App.reset();
    AppSettings.clearLocal();
  }

  @Test
  void get_answersThePageAsJsonWithEveryField() throws Exception {
    Event event = outbox.record(EventType.MODEL_REGISTERED, Subjects.model("resnet50", "2"),
        Map.of("modelId", "resnet50:2"), "resnet50:2");

    HttpResponseMessage response = get("/api/events");

    assertThat(response.getStatusCode()).isEqualTo(200);
    assertThat(response.getHeader("Content-Type")).startsWith("application/json");
    JsonNode body = JSON.readTree((String) response.getBody());
    assertThat(body.get("nextLink").isNull()).isTrue();
    JsonNode item = body.get("value").get(0);
    assertThat(item.get("id").asText()).isEqualTo(event.id());
    assertThat(item.get("eventType").asText()).isEqualTo("RealtimeAI.ModelRegistered");
    assertThat(item.get("subject").asText()).isEqualTo("/models/resnet50/versions/2");
    assertThat(item.get("eventTime").asText()).isEqualTo("2025-02-01T08:00:00.500Z");
    assertThat(item.get("dataVersion").asText()).isEqualTo("1.0");
    assertThat(item.get("data").get("modelId").asText()).isEqualTo("resnet50:2");
    assertThat(item.get("delivered").asBoolean()).isFalse();
    assertThat(item.get("attempts").asInt()).isZero();
    assertThat(item.get("lastError").isNull()).isTrue();
  }

  @Test
  void get_followsNextLinksThroughEveryEventInTimeOrder() throws Exception {
    List<String> ids = record(5);

    List<String> seen = new ArrayList<>();
    String link = "/api/events?top=2";
    int pages = 0;
    while (link != null) {
      JsonNode body = JSON.readTree((String) get(link).getBody());
      body.get("value").forEach(item -> seen.add(item.get("id").asText()));
      link = body.get("nextLink").isNull() ? null : body.get("nextLink").asText();
      pages++;
    }

    assertThat(pages).isEqualTo(3);
    assertThat(seen).containsExactlyElementsOf(ids);
  }

  @Test
  void get_withSinceStartsAtThatInstant() throws Exception {
    List<String> ids = record(4);

    JsonNode body = JSON.readTree((String) get("/api/events?since=2025-02-01T08:00:02.5Z").getBody());

    assertThat(body.get("value").findValuesAsText("id")).containsExactlyElementsOf(ids.subList(2, 4));
  }

  @Test
  void get_malformedSinceIsABadRequestNamingIt() throws Exception {
    assertBadRequest(get("/api/events?since=last-tuesday"), "since");
  }

  @Test
  void get_topOutOfRangeOrNotANumberIsABadRequestNamingIt() throws Exception {
    assertBadRequest(get("/api/events?top=1001"), "top");
    assertBadRequest(get("/api/events?top=0"), "top");
    assertBadRequest(get("/api/events?top=many"), "top");
  }

  @Test
  void get_foreignContinuationIsABadRequestNamingIt() throws Exception {
    assertBadRequest(get("/api/events?continuation=abc"), "continuation");
  }

  @Test
  void relayFunction_publishesTheOutboxToTheTopicTheSettingsName(@TempDir Path certificates) throws Exception {
    try (EventGridReceiver receiver = EventGridReceiver.start(certificates)) {
      AppSettings.putLocal(Map.of(
          AppSettings.STORAGE, azurite.connectionString(),
          "EVENTGRID_TOPIC_ENDPOINT", receiver.endpoint(),
          "EVENTGRID_TOPIC_KEY", "settings-key",
          "EVENTGRID_TRUSTED_CERTIFICATE", receiver.certificate().toString()));
      App.reset();
      Event event = App.get().events().record(EventType.SERVICE_DEPLOYED, Subjects.service("cats"),
          Map.of("replicas", 2), "op-1:deployed");

      new EventRelayFunction().run("{}", new InvocationContext("EventRelay"));

      List<JsonNode> received = receiver.await(events -> !events.isEmpty(), Duration.ofSeconds(10));
      assertThat(received).extracting(e -> e.get("id").asText()).containsExactly(event.id());
      assertThat(receiver.requests().get(0).header("aeg-sas-key")).isEqualTo("settings-key");
      assertThat(App.get().events().find(event.id()).orElseThrow().delivered()).isTrue();
    }
  }

  @Test
  void relayFunction_withoutATopicLeavesEventsInTheOutbox() {
    Event event = outbox.record(EventType.SERVICE_DELETED, Subjects.service("cats"), null, "op-2:deleted");

    new EventRelayFunction().run("{}", new InvocationContext("EventRelay"));

    assertThat(outbox.pending(10)).extracting(r -> r.event().id()).containsExactly(event.id());
  }

  private HttpResponseMessage get(String pathAndQuery) {
    return function.run(HttpRequests.get(pathAndQuery), new InvocationContext("Events"));
  }

  private static void assertBadRequest(HttpResponseMessage response, String parameter) throws Exception {
    assertThat(response.getStatusCode()).isEqualTo(400);
    JsonNode error = JSON.readTree((String) response.getBody()).get("error");
    assertThat(error.get("code").asText()).isEqualTo("BadRequest");
    assertThat(error.get("message").asText()).startsWith(parameter + ":");
    assertThat(error.get("details").isArray()).isTrue();
  }

  private List<String> record(int count) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ids.add(outbox.record(EventType.IMAGE_SCORED, Subjects.image("dogs", i + ".png"), Map.of("n", i), "dog-" + i).id());
      clock.advance(Duration.ofSeconds(1));
    }
    return ids;
  }
}
