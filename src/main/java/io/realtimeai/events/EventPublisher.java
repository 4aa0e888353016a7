package io.realtimeai.events;

import com.azure.core.credential.AzureKeyCredential;
import com.azure.core.exception.HttpResponseException;
import com.azure.core.http.HttpClient;
import com.azure.core.http.netty.NettyAsyncHttpClientBuilder;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.core.models.CloudEvent;
import com.azure.core.models.CloudEventDataFormat;
import com.azure.core.util.BinaryData;
import com.azure.messaging.eventgrid.EventGridEvent;
import com.azure.messaging.eventgrid.EventGridPublisherClient;
import com.azure.messaging.eventgrid.EventGridPublisherClientBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import reactor.netty.http.Http11SslContextSpec;

/**
 * Sends events to an Event Grid topic with the Azure SDK's {@link EventGridPublisherClient}, in the
 * Event Grid schema or as CloudEvents 1.0. Without a topic it is {@linkplain #disabled() disabled}:
 * events are still recorded in the outbox and readable there, and wait for a topic to be configured.
 */
public final class EventPublisher {
  /** The CloudEvents {@code source} of this app's events. */
  public static final String CLOUD_EVENT_SOURCE = "/realtime-ai";

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(30);
  private static final int MAX_ERROR_CHARS = 500;

  private final EventGridTopic topic;
  private final Sender<?> sender;

  private EventPublisher(EventGridTopic topic, Sender<?> sender) {
    this.topic = topic;
    this.sender = sender;
  }

  /** A publisher that sends nothing: no topic is configured. */
  public static EventPublisher disabled() {
    return new EventPublisher(null, null);
  }

  /** A publisher for the topic the app settings configure, or a disabled one when none is. */
  public static EventPublisher fromAppSettings() {
    return EventGridTopic.fromAppSettings().map(EventPublisher::to).orElseGet(EventPublisher::disabled);
  }

  /** A publisher to {@code topic}. */
  public static EventPublisher to(EventGridTopic topic) {
    EventGridPublisherClientBuilder builder = new EventGridPublisherClientBuilder()
        .endpoint(topic.endpoint())
        .credential(new AzureKeyCredential(topic.key()))
        .httpClient(httpClient(topic.trustedCertificate()))
        // No retries inside the call: the outbox is the retry mechanism, with backoff that survives
        // restarts and an attempt count and error that anyone can read.
        .retryOptions(new RetryOptions(new FixedDelayOptions(0, Duration.ofSeconds(1))));
    Sender<?> sender = switch (topic.schema()) {
      case EVENT_GRID_EVENT -> new Sender<>(builder.buildEventGridEventPublisherClient(), EventPublisher::eventGridEvent);
      case CLOUD_EVENT -> new Sender<>(builder.buildCloudEventPublisherClient(), EventPublisher::cloudEvent);
    };
    return new EventPublisher(topic, sender);
  }

  /** Whether a topic is configured. */
  public boolean enabled() {
    return sender != null;
  }

  /** The topic, when one is configured. */
  public Optional<EventGridTopic> topic() {
    return Optional.ofNullable(topic);
  }

  /**
   * Sends the events in one request; returns once the topic has acknowledged them.
   *
   * @throws EventPublishException when the topic answered an error or could not be reached; then it
   *     may or may not have taken the events, which is why they keep their ids when sent again
   */
  public void publish(List<Event> events) {
    if (sender == null) {
      throw new IllegalStateException("publishing is disabled: no Event Grid topic is configured ("
          + EventGridTopic.ENDPOINT_SETTING + ")");
    }
    if (events.isEmpty()) {
      return;
    }
    try {
      sender.send(events);
    } catch (HttpResponseException e) {
      int status = e.getResponse() == null ? 0 : e.getResponse().getStatusCode();
      throw new EventPublishException("Event Grid answered HTTP " + status + ": " + excerpt(e.getMessage()), status, e);
    } catch (RuntimeException e) {
      throw new EventPublishException("cannot reach Event Grid at " + topic.endpoint() + ": " + excerpt(rootMessage(e)), 0, e);
    }
  }

  @Override
  public String toString() {
    return sender == null ? "EventPublisher[disabled]" : "EventPublisher[" + topic + "]";
  }

  static EventGridEvent eventGridEvent(Event event) {
    return new EventGridEvent(event.subject(), event.eventType(), BinaryData.fromString(EventJson.text(event.data())),
        event.dataVersion())
        .setId(event.id())
        .setEventTime(event.eventTime().atOffset(ZoneOffset.UTC));
  }

  static CloudEvent cloudEvent(Event event) {
    OffsetDateTime time = event.eventTime().atOffset(ZoneOffset.UTC);
    if (time.getSecond() == 0 && time.getNano() == 0) {
      // The SDK writes CloudEvent.time with OffsetDateTime.toString(), which leaves out ":00" seconds
      // on the minute ("12:00Z"), not RFC 3339 as CloudEvents requires; one nanosecond later is.
      time = time.plusNanos(1);
    }
    return new CloudEvent(CLOUD_EVENT_SOURCE, event.eventType(), BinaryData.fromString(EventJson.text(event.data())),
        CloudEventDataFormat.JSON, "application/json")
        .setId(event.id())
        .setSubject(event.subject())
        .setTime(time)
        // CloudEvents has no dataVersion; an extension attribute keeps it for subscribers that check it.
        .addExtensionAttribute("dataversion", event.dataVersion());
  }

  // Reactor Netty under the SDK's pipeline, as the SDK builds it by default, with timeouts so that a
  // topic that hangs fails the attempt instead of the relay, and with the one certificate a local
  // HTTPS receiver presents trusted when a test or a laptop configures it.
  private static HttpClient httpClient(Path trustedCertificate) {
    reactor.netty.http.client.HttpClient netty = reactor.netty.http.client.HttpClient.create();
    if (trustedCertificate != null) {
      X509Certificate certificate = readCertificate(trustedCertificate);
      netty = netty.secure(spec -> spec.sslContext(
          Http11SslContextSpec.forClient().configure(ssl -> ssl.trustManager(certificate))));
    }
    return new NettyAsyncHttpClientBuilder(netty)
        .connectTimeout(CONNECT_TIMEOUT)
        .responseTimeout(RESPONSE_TIMEOUT)
        .readTimeout(RESPONSE_TIMEOUT)
        .writeTimeout(RESPONSE_TIMEOUT)
        .build();
  }

  private static X509Certificate readCertificate(Path pem) {
    try (InputStream in = Files.newInputStream(pem)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    } catch (IOException | CertificateException | ClassCastException e) {
      throw new IllegalStateException(EventGridTopic.TRUSTED_CERTIFICATE_SETTING + ": cannot read a PEM certificate from "
          + pem + ": " + e.getMessage(), e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  private static String excerpt(String message) {
    if (message == null) {
      return "no details";
    }
    String line = message.replaceAll("\\s+", " ").strip();
    return line.length() > MAX_ERROR_CHARS ? line.substring(0, MAX_ERROR_CHARS) + "…" : line;
  }

  /** The SDK client of one schema and how an event becomes that schema's model. */
  private record Sender<T>(EventGridPublisherClient<T> client, Function<Event, T> convert) {
    void send(List<Event> events) {
      client.sendEvents(events.stream().map(convert).toList());
    }
  }
}
