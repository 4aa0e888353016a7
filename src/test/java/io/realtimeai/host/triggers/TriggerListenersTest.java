package io.realtimeai.host.triggers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.realtimeai.host.FunctionInvoker;
import io.realtimeai.host.Functions;
import io.realtimeai.host.HostConfig;
import io.realtimeai.storage.Storage;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Each trigger binding of the test app gets its listener, configured from its function.json; no storage is touched. */
class TriggerListenersTest {
  // Clients only: building them opens no connection.
  private final Storage storage = Storage.connect("UseDevelopmentStorage=true");
  private final HostConfig config = TriggerTestApp.config();

  @Test
  void forFunction_givesABlobListenerWatchingTheBindingsPath() throws Exception {
    var listener = TriggerListeners.forFunction(TriggerTestApp.function("BlobUpload"), storage, config, "host",
        Duration.ofSeconds(1));

    assertThat(listener).get().isInstanceOfSatisfying(BlobTriggerListener.class,
        blob -> assertThat(blob.pattern().path()).isEqualTo("uploads/{name}.{ext}"));
  }

  @Test
  void forFunction_givesAQueueListenerOnTheBindingsQueue() throws Exception {
    var listener = TriggerListeners.forFunction(TriggerTestApp.function("QueueOrder"), storage, config, "host",
        Duration.ofSeconds(1));

    assertThat(listener).get().isInstanceOfSatisfying(QueueTriggerListener.class,
        queue -> assertThat(queue.queueName()).isEqualTo("orders"));
  }

  @Test
  void forFunction_givesATimerListenerOnTheBindingsSchedule() throws Exception {
    var listener = TriggerListeners.forFunction(TriggerTestApp.function("TimerFails"), storage, config, "host",
        Duration.ofSeconds(1));

    assertThat(listener).get().isInstanceOfSatisfying(TimerTriggerListener.class,
        timer -> assertThat(timer.schedule().expression()).isEqualTo("*/1 * * * * *"));
  }

  @Test
  void listeners_refuseAFunctionWithAnotherTrigger() throws Exception {
    var queueFunction = TriggerTestApp.function("QueueText");

    assertThatThrownBy(() -> new TimerTriggerListener(queueFunction)).hasMessageContaining("not timer-triggered");
    assertThatThrownBy(() -> new BlobTriggerListener(queueFunction, storage, config, "host", Duration.ofSeconds(1)))
        .hasMessageContaining("not blob-triggered");
    assertThatThrownBy(() -> new QueueTriggerListener(TriggerTestApp.function("TimerTick"), storage, config))
        .hasMessageContaining("not queue-triggered");
  }

  @Test
  void forFunction_refusesABadBlobPathNamingTheFunctionAndThePath() throws Exception {
    FunctionInvoker badPath = Functions.withTrigger(TriggerTestApp.function("BlobUpload"), "path", "uploads/{name");

    assertThatThrownBy(() -> TriggerListeners.forFunction(badPath, storage, config, "host", Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasCauseInstanceOf(IllegalArgumentException.class)
        .hasMessage("function BlobUpload: blob trigger path 'uploads/{name': '{' at 8 is never closed");
  }
}
