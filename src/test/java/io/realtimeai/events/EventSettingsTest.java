package io.realtimeai.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.realtimeai.app.AppSettings;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The EVENTGRID_* settings: no topic disables publishing; a wrong setting is named. */
class EventSettingsTest {
  @AfterEach
  void forgetSettings() {
    AppSettings.clearLocal();
  }

  @Test
  void fromAppSettings_withoutAnEndpointDisablesPublishing() {
    assertThat(EventGridTopic.fromAppSettings()).isEmpty();
    assertThat(EventPublisher.fromAppSettings().enabled()).isFalse();
  }

  @Test
  void fromAppSettings_readsEndpointKeySchemaAndCertificate() {
    AppSettings.putLocal(Map.of(
        "EVENTGRID_TOPIC_ENDPOINT", "https://topic.westeurope-1.eventgrid.azure.net/api/events",
        "EVENTGRID_TOPIC_KEY", "secret",
        "EVENTGRID_SCHEMA", "CloudEvent",
        "EVENTGRID_TRUSTED_CERTIFICATE", "/tmp/receiver.pem"));

    EventGridTopic topic = EventGridTopic.fromAppSettings().orElseThrow();

    assertThat(topic.endpoint()).isEqualTo("https://topic.westeurope-1.eventgrid.azure.net/api/events");
    assertThat(topic.key()).isEqualTo("secret");
    assertThat(topic.schema()).isEqualTo(EventSchema.CLOUD_EVENT);
    assertThat(topic.trustedCertificate()).isEqualTo(Path.of("/tmp/receiver.pem"));
    assertThat(topic.toString()).doesNotContain("secret");
  }

  @Test
  void fromAppSettings_defaultsToTheEventGridSchema() {
    AppSettings.putLocal(Map.of("EVENTGRID_TOPIC_ENDPOINT", "https://t.example/api/events", "EVENTGRID_TOPIC_KEY", "k"));

    assertThat(EventGridTopic.fromAppSettings().orElseThrow().schema()).isEqualTo(EventSchema.EVENT_GRID_EVENT);
  }

  @Test
  void fromAppSettings_namesTheMissingKeySetting() {
    AppSettings.putLocal(Map.of("EVENTGRID_TOPIC_ENDPOINT", "https://t.example/api/events"));

    assertThatThrownBy(EventGridTopic::fromAppSettings).hasMessageContaining("EVENTGRID_TOPIC_KEY");
  }

  @Test
  void fromAppSettings_namesAnUnknownSchema() {
    AppSettings.putLocal(Map.of("EVENTGRID_TOPIC_ENDPOINT", "https://t.example/api/events",
        "EVENTGRID_TOPIC_KEY", "k", "EVENTGRID_SCHEMA", "Avro"));

    assertThatThrownBy(EventGridTopic::fromAppSettings).hasMessageContaining("EVENTGRID_SCHEMA").hasMessageContaining("Avro");
  }

  @Test
  void fromAppSettings_refusesAPlainHttpEndpointNamingTheSetting() {
    AppSettings.putLocal(Map.of("EVENTGRID_TOPIC_ENDPOINT", "http://localhost:8080/api/events", "EVENTGRID_TOPIC_KEY", "k"));

    assertThatThrownBy(EventGridTopic::fromAppSettings).hasMessageContaining("EVENTGRID_TOPIC_ENDPOINT")
        .hasMessageContaining("https://");
  }

  @Test
  void schema_acceptsTheNamesAzureUses() {
    assertThat(EventSchema.parse("eventgridschema")).isEqualTo(EventSchema.EVENT_GRID_EVENT);
    assertThat(EventSchema.parse("CloudEventSchemaV1_0")).isEqualTo(EventSchema.CLOUD_EVENT);
  }

  @Test
  void publisher_namesAnUnreadableCertificateSetting() {
    EventGridTopic topic = EventGridTopic.of("https://localhost:1/api/events", "k").trusting(Path.of("/no/such/cert.pem"));

    assertThatThrownBy(() -> EventPublisher.to(topic)).hasMessageContaining("EVENTGRID_TRUSTED_CERTIFICATE")
        .hasMessageContaining("/no/such/cert.pem");
  }

  @Test
  void disabledPublisher_refusesToPublishSayingWhy() {
    assertThatThrownBy(() -> EventPublisher.disabled().publish(java.util.List.of()))
        .hasMessageContaining("EVENTGRID_TOPIC_ENDPOINT");
  }
}
