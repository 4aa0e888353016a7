package io.realtimeai.events;

import io.realtimeai.app.AppSettings;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import java.util.logging.Logger;

/**
 * The process's outbox and relay, for the functions: built on first use from the app settings
 * ({@code AzureWebJobsStorage} and the {@code EVENTGRID_*} settings of {@link EventGridTopic}).
 */
public final class Events {
  private static final Logger LOG = Logger.getLogger(Events.class.getName());
  private static EventOutbox outbox;
  private static EventRelay relay;

  private Events() {}

  /** The outbox in the app's storage; its table is created on first use. */
  public static synchronized EventOutbox outbox() {
    if (outbox == null) {
      Storage storage = Storage.connect(AppSettings.get(AppSettings.STORAGE).orElse(null));
      storage.createTable(StorageLayout.EVENTS_TABLE);
      outbox = new EventOutbox(storage);
    }
    return outbox;
  }

  /** The relay to the configured topic; without one it publishes nothing, and says so once. */
  public static synchronized EventRelay relay() {
    if (relay == null) {
      EventPublisher publisher = EventPublisher.fromAppSettings();
      if (!publisher.enabled()) {
        LOG.info(() -> EventGridTopic.ENDPOINT_SETTING + " is not set: events are recorded in the outbox"
            + " (GET /api/events) but not published");
      }
      relay = new EventRelay(outbox(), publisher);
    }
    return relay;
  }

  /** The HTTP feed of the outbox. */
  public static EventFeed feed() {
    return new EventFeed(outbox());
  }

  /** Uses these instead of building them from the settings (tests, or a composition root). */
  public static synchronized void use(EventOutbox newOutbox, EventRelay newRelay) {
    outbox = newOutbox;
    relay = newRelay;
  }

  /** Forgets them: the next use builds them again from the settings. */
  public static synchronized void reset() {
    outbox = null;
    relay = null;
  }
}
