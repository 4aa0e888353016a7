package io.realtimeai.host.triggers;

import io.realtimeai.host.FunctionInvoker;
import io.realtimeai.host.HostConfig;
import io.realtimeai.host.TriggerListener;
import io.realtimeai.storage.Storage;
import java.time.Duration;
import java.util.Optional;

/** Picks the listener a function's trigger binding needs: blob, queue or timer. */
public final class TriggerListeners {
  private TriggerListeners() {}

  /**
   * The listener for {@code function}'s trigger, or empty for a trigger this package does not serve
   * (HTTP has its own server).
   *
   * @param storage the storage the binding's {@code connection} setting names
   * @param hostId the host id blob receipts are kept under
   * @param blobPollInterval time between blob container scans
   */
  public static Optional<TriggerListener> forFunction(FunctionInvoker function, Storage storage, HostConfig config,
      String hostId, Duration blobPollInterval) {
    return switch (function.descriptor().trigger().type()) {
      case "blobTrigger" -> Optional.of(new BlobTriggerListener(function, storage, config, hostId, blobPollInterval));
      case "queueTrigger" -> Optional.of(new QueueTriggerListener(function, storage, config));
      case "timerTrigger" -> Optional.of(new TimerTriggerListener(function));
      default -> Optional.empty();
    };
  }
}
