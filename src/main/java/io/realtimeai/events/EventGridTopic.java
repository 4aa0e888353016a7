package io.realtimeai.events;

import io.realtimeai.app.AppSettings;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * An Event Grid topic to publish to.
 *
 * @param endpoint the topic endpoint, {@code https://{topic}.{region}-1.eventgrid.azure.net/api/events}
 * @param key an access key of the topic (sent as {@code aeg-sas-key})
 * @param schema the schema the topic takes
 * @param trustedCertificate a PEM certificate to trust instead of the JDK's trust store, for a local
 *     receiver with a self-signed certificate; null for the JDK's trust store
 */
public record EventGridTopic(String endpoint, String key, EventSchema schema, Path trustedCertificate) {
  /** Setting: the topic endpoint; publishing is disabled without it. */
  public static final String ENDPOINT_SETTING = "EVENTGRID_TOPIC_ENDPOINT";
  /** Setting: the topic's access key. */
  public static final String KEY_SETTING = "EVENTGRID_TOPIC_KEY";
  /** Setting: {@code EventGridEvent} (default) or {@code CloudEvent}. */
  public static final String SCHEMA_SETTING = "EVENTGRID_SCHEMA";
  /** Setting: path of a PEM certificate to trust, for a local HTTPS receiver with a self-signed certificate. */
  public static final String TRUSTED_CERTIFICATE_SETTING = "EVENTGRID_TRUSTED_CERTIFICATE";

  public EventGridTopic {
    Objects.requireNonNull(schema, "schema");
    if (key == null || key.isBlank()) {
      throw new IllegalArgumentException("an Event Grid topic needs an access key");
    }
    try {
      URI uri = new URI(Objects.requireNonNull(endpoint, "endpoint").strip());
      // The SDK sends a key credential over HTTPS only: say so here, naming the endpoint.
      if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
        throw new IllegalArgumentException("an Event Grid topic endpoint is an https:// URL, got '" + endpoint + "'");
      }
      endpoint = uri.toString();
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("an Event Grid topic endpoint is an https:// URL, got '" + endpoint + "'", e);
    }
  }

  /** A topic in the Event Grid schema, trusting the JDK's trust store. */
  public static EventGridTopic of(String endpoint, String key) {
    return new EventGridTopic(endpoint, key, EventSchema.EVENT_GRID_EVENT, null);
  }

  /** This topic in another schema. */
  public EventGridTopic withSchema(EventSchema newSchema) {
    return new EventGridTopic(endpoint, key, newSchema, trustedCertificate);
  }

  /** This topic, trusting the PEM certificate at {@code certificate} instead of the JDK's trust store. */
  public EventGridTopic trusting(Path certificate) {
    return new EventGridTopic(endpoint, key, schema, certificate);
  }

  /**
   * The topic the app settings configure, or empty when {@value #ENDPOINT_SETTING} is not set
   * (publishing disabled). A setting that is set but wrong is an error naming the setting.
   */
  public static Optional<EventGridTopic> fromAppSettings() {
    Optional<String> endpoint = AppSettings.get(ENDPOINT_SETTING);
    if (endpoint.isEmpty()) {
      return Optional.empty();
    }
    String key = AppSettings.get(KEY_SETTING).orElseThrow(() -> new IllegalStateException(
        "setting " + KEY_SETTING + " is missing: " + ENDPOINT_SETTING + " is set, and the topic needs its access key"));
    EventSchema schema;
    try {
      schema = AppSettings.get(SCHEMA_SETTING).map(EventSchema::parse).orElse(EventSchema.EVENT_GRID_EVENT);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("setting " + SCHEMA_SETTING + ": " + e.getMessage(), e);
    }
    Path certificate = AppSettings.get(TRUSTED_CERTIFICATE_SETTING).map(Path::of).orElse(null);
    try {
      return Optional.of(new EventGridTopic(endpoint.get(), key, schema, certificate));
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("setting " + ENDPOINT_SETTING + ": " + e.getMessage(), e);
    }
  }

  /** Without the key, which must not reach logs. */
  @Override
  public String toString() {
    return "EventGridTopic[" + endpoint + ", " + schema.settingValue()
        + (trustedCertificate == null ? "" : ", trusting " + trustedCertificate) + "]";
  }
}
