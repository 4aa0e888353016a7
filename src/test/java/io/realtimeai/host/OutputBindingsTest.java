package io.realtimeai.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.storage.queue.models.PeekedMessageItem;
import com.azure.storage.queue.models.QueueStorageException;
import io.realtimeai.storage.Storage;
import io.realtimeai.testing.AzuriteExtension;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Queue output bindings written by the local host on a real Azurite. */
@Tag("integration")
class OutputBindingsTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();

  private Storage storage;
  private OutputBindings outputs;
  private final AtomicInteger wakes = new AtomicInteger();

  @BeforeEach
  void setUp() {
    storage = azurite.storage();
    storage.queue("relay-out").deleteIfExists();
    outputs = new OutputBindings(connection -> storage);
    outputs.watch("AzureWebJobsStorage", "relay-out", wakes::incrementAndGet);
  }

  private Object relay(String message) throws Exception {
    FunctionDescriptor relay = FunctionIndex.load(Path.of(getClass().getResource("/apps/triggers").toURI()),
        getClass().getClassLoader()).stream().filter(f -> f.name().equals("QueueRelay")).findFirst().orElseThrow();
    return FunctionInvoker.of(relay, getClass().getClassLoader(), outputs)
        .invoke(Map.of("message", message), Map.of(), new InvocationContext("QueueRelay"));
  }

  /** The messages on relay-out; none while the queue does not exist. */
  private List<String> relayed() {
    try {
      return storage.queue("relay-out").peekMessages(32, null, null).stream()
          .map(PeekedMessageItem::getBody).map(Object::toString).toList();
    } catch (QueueStorageException e) {
      assertThat(e.getStatusCode()).isEqualTo(404);
      return List.of();
    }
  }

  @Test
  void queueOutput_createsItsQueueWritesTheValueAndWakesItsWatchers() throws Exception {
    relay("hello");

    assertThat(relayed()).containsExactly("HELLO");
    assertThat(wakes).hasValue(1);
  }

  @Test
  void queueOutput_writesAListAsOneMessagePerItemAndARecordAsJson() throws Exception {
    relay("twice");
    relay("order");

    assertThat(relayed()).containsExactly("one", "two", "{\"id\":\"o-1\",\"quantity\":3}");
  }

  @Test
  void queueOutput_deletedWhileTheHostRuns_isCreatedAgainAndTheMessageWritten() throws Exception {
    relay("first");
    storage.queue("relay-out").delete();

    relay("second");

    assertThat(relayed()).containsExactly("SECOND");
    assertThat(wakes).hasValue(2);
  }

  @Test
  void failingFunction_writesNothing() throws Exception {
    assertThatThrownBy(() -> relay("fail")).isInstanceOf(FunctionInvoker.FunctionFailure.class)
        .hasMessageContaining("fails after setting its output");

    assertThat(relayed()).isEmpty();
    assertThat(wakes).hasValue(0);
  }

  @Test
  void hostWithoutOutputBindings_failsTheInvocationNamingWhy() throws Exception {
    FunctionDescriptor relay = FunctionIndex.load(Path.of(getClass().getResource("/apps/triggers").toURI()),
        getClass().getClassLoader()).stream().filter(f -> f.name().equals("QueueRelay")).findFirst().orElseThrow();

    assertThatThrownBy(() -> FunctionInvoker.of(relay, getClass().getClassLoader())
        .invoke(Map.of("message", "x"), Map.of(), new InvocationContext("QueueRelay")))
        .isInstanceOf(FunctionInvoker.FunctionFailure.class)
        .hasMessage("function QueueRelay failed writing its output bindings: this host writes no output bindings");
  }
}
