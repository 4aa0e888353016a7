package io.realtimeai.host.triggers;

import static io.realtimeai.host.triggers.TriggerTestApp.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.util.BinaryData;
import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.QueueClientBuilder;
import com.azure.storage.queue.models.PeekedMessageItem;
import com.azure.storage.queue.models.QueueMessageItem;
import com.azure.storage.queue.models.SendMessageResult;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.realtimeai.host.HostConfig;
import io.realtimeai.host.triggers.functions.QueueFunctions;
import io.realtimeai.storage.Storage;
import io.realtimeai.testing.AzuriteExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Queue triggers on a real Azurite: binding, batches, retries, poison and stop. */
@Tag("integration")
class QueueTriggerListenerTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();

  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<QueueTriggerListener> listeners = new ArrayList<>();
  private Storage storage;

  @BeforeEach
  void createQueues() {
    storage = azurite.storage();
    for (String queue : List.of("texts", "bytes", "orders", "failing", "gated")) {
      storage.createQueue(queue);
      storage.createQueue(QueueTriggerListener.poisonQueueName(queue));
    }
    QueueFunctions.TEXTS.clear();
    QueueFunctions.BYTES.clear();
    QueueFunctions.ORDERS.clear();
    QueueFunctions.FAILED_ATTEMPTS.clear();
    QueueFunctions.GATED.clear();
    QueueFunctions.GATE.reset();
  }

  @AfterEach
  void stopListeners() throws InterruptedException {
    QueueFunctions.GATE.openWide();
    for (QueueTriggerListener listener : listeners) {
      listener.stop(Duration.ofSeconds(5));
    }
  }

  @Test
  void textMessage_bindsItsTextAndMetadataAndIsDeleted() throws Exception {
    SendMessageResult sent = storage.queue("texts").sendMessage("hello, queue");
    start("QueueText", TriggerTestApp.config());

    await("the message ran", () -> QueueFunctions.TEXTS.size() == 1);
    await("the message is deleted", () -> messagesIn("texts") == 0);

    QueueFunctions.Text text = QueueFunctions.TEXTS.peek();
    assertThat(text.message()).isEqualTo("hello, queue");
    assertThat(text.dequeueCount()).isEqualTo(1);
    assertThat(text.id()).isEqualTo(sent.getMessageId());
    assertThat(text.insertionTime()).isNotBlank();
    assertThat(text.popReceipt()).isNotBlank();
  }

  @Test
  void binaryMessage_bindsItsExactBytes() throws Exception {
    byte[] bytes = {0, (byte) 0xC3, (byte) 0x28, (byte) 0xFF, 10};
    storage.queue("bytes").sendMessage(BinaryData.fromBytes(bytes));
    start("QueueBytes", TriggerTestApp.config());

    await("the message ran", () -> QueueFunctions.BYTES.size() == 1);

    assertThat(QueueFunctions.BYTES.peek()).containsExactly(bytes);
  }

  @Test
  void jsonMessage_bindsToARecord() throws Exception {
    storage.queue("orders").sendMessage("{\"id\":\"o-17\",\"quantity\":3,\"note\":\"ignored\"}");
    start("QueueOrder", TriggerTestApp.config());

    await("the order ran", () -> QueueFunctions.ORDERS.size() == 1);

    assertThat(QueueFunctions.ORDERS.peek()).isEqualTo(new QueueFunctions.Order("o-17", 3));
  }

  @Test
  void failingMessage_isAttemptedMaxDequeueCountTimesThenPoisonedWithItsReason() throws Exception {
    SendMessageResult sent = storage.queue("failing").sendMessage("boom-1");
    start("QueueAlwaysFails", TriggerTestApp.config());

    await("a poison message", () -> poisonMessages("failing", sent.getMessageId()).size() == 1);
    await("the original is deleted", () -> messagesIn("failing") == 0);

    assertThat(QueueFunctions.FAILED_ATTEMPTS).extracting(QueueFunctions.Attempt::dequeueCount).containsExactly(1, 2, 3);
    QueuePoisonMessage poison = poisonMessages("failing", sent.getMessageId()).get(0);
    assertThat(poison.queue()).isEqualTo("failing");
    assertThat(poison.messageId()).isEqualTo(sent.getMessageId());
    assertThat(poison.dequeueCount()).isEqualTo(3);
    assertThat(poison.function()).isEqualTo("QueueAlwaysFails");
    assertThat(poison.reason()).contains("always fails on boom-1");
    assertThat(Instant.parse(poison.failedAt())).isBefore(Instant.now().plusSeconds(1));
    assertThat(poison.body()).isEqualTo("boom-1");
    assertThat(poison.bodyFormat()).isEqualTo("text");
  }

  @Test
  void malformedJson_isPoisonedWithTheBindingFailureAndNeverReachesTheFunction() throws Exception {
    String id = storage.queue("orders").sendMessage("{\"id\": \"o-1\", \"quantity\": ").getMessageId();
    start("QueueOrder", TriggerTestApp.config());

    await("a poison message", () -> poisonMessages("orders", id).size() == 1);
    await("the original is deleted", () -> messagesIn("orders") == 0);

    QueuePoisonMessage poison = poisonMessages("orders", id).get(0);
    assertThat(poison.dequeueCount()).isEqualTo(3);
    assertThat(poison.reason()).contains("binding 'order'").contains("QueueFunctions.Order");
    assertThat(poison.body()).isEqualTo("{\"id\": \"o-1\", \"quantity\": ");
    assertThat(QueueFunctions.ORDERS).isEmpty();
  }

  @Test
  void messageThatIsNotBase64_isPoisonedWithItsWireText() throws Exception {
    String id = rawClient("orders").sendMessage("this is not base64!").getMessageId();
    start("QueueOrder", TriggerTestApp.config());

    await("a poison message", () -> poisonMessages("orders", id).size() == 1);
    await("the original is deleted", () -> messagesIn("orders") == 0);

    QueuePoisonMessage poison = poisonMessages("orders", id).get(0);
    assertThat(poison.reason()).contains("not base64");
    assertThat(poison.body()).isEqualTo("this is not base64!");
    assertThat(poison.bodyFormat()).isEqualTo("wire");
  }

  @Test
  void batch_runsConcurrentlyUpToBatchSizeAndNeverMore() throws Exception {
    QueueFunctions.GATE.close();
    sendGated(10);
    QueueTriggerListener listener = start("QueueGate", TriggerTestApp.config(4, 0));

    await("a full batch in flight", () -> QueueFunctions.GATE.current() == 4);
    QueueFunctions.GATE.release(3);
    await("three finished", () -> QueueFunctions.GATE.finished() == 3);
    // One still runs, more than newBatchThreshold (0): no new batch yet.
    assertThat(QueueFunctions.GATE.current()).isEqualTo(1);
    QueueFunctions.GATE.openWide();
    await("all ten ran", () -> QueueFunctions.GATED.size() == 10);

    assertThat(QueueFunctions.GATE.max()).isEqualTo(4);
    assertThat(listener.queueName()).isEqualTo("gated");
  }

  @Test
  void newBatchThreshold_fetchesTheNextBatchWhenInFlightDropsToIt() throws Exception {
    QueueFunctions.GATE.close();
    sendGated(10);
    start("QueueGate", TriggerTestApp.config(4, 2));

    await("a full batch in flight", () -> QueueFunctions.GATE.current() == 4);
    QueueFunctions.GATE.release(2);

    await("a second batch on top of the two left", () -> QueueFunctions.GATE.current() == 6);
    QueueFunctions.GATE.openWide();
    await("all ten ran", () -> QueueFunctions.GATED.size() == 10);
    assertThat(QueueFunctions.GATE.max()).isEqualTo(6);
  }

  @Test
  void longInvocation_keepsItsMessageInvisibleUntilItEnds() throws Exception {
    QueueFunctions.GATE.close();
    storage.queue("gated").sendMessage("slow");
    QueueTriggerListener listener = new QueueTriggerListener(TriggerTestApp.function("QueueGate"), storage,
        TriggerTestApp.config(), Duration.ofSeconds(1));
    listeners.add(listener);
    listener.start();

    await("the invocation started", () -> QueueFunctions.GATE.current() == 1);
    await("its one-second visibility was extended three times", () -> listener.renewals() >= 3);
    assertThat(rawClient("gated").peekMessage()).as("still invisible").isNull();
    QueueFunctions.GATE.openWide();
    await("it finished", () -> QueueFunctions.GATED.size() == 1);
    await("the message is deleted", () -> messagesIn("gated") == 0);

    assertThat(QueueFunctions.GATE.started()).isEqualTo(1);
  }

  @Test
  void stop_letsInFlightMessagesFinishAndTakesNoNewOnes() throws Exception {
    QueueFunctions.GATE.close();
    storage.queue("gated").sendMessage("in flight");
    QueueTriggerListener listener = start("QueueGate", TriggerTestApp.config());
    await("the invocation started", () -> QueueFunctions.GATE.current() == 1);

    CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> stop(listener, Duration.ofSeconds(20)));
    await("the stop began", () -> !listener.running());
    storage.queue("gated").sendMessage("after stop");
    assertThat(stopped).isNotDone();
    QueueFunctions.GATE.openWide();
    stopped.get();

    assertThat(QueueFunctions.GATED).containsExactly("in flight");
    List<PeekedMessageItem> left = storage.queue("gated").peekMessages(32, null, null).stream().toList();
    assertThat(left).extracting(m -> m.getBody().toString()).containsExactly("after stop");
    assertThat(left.get(0).getDequeueCount()).isZero();
    storage.queue("gated").clearMessages();
  }

  @Test
  void stop_releasesAMessageWhoseInvocationOutlivesTheGrace() throws Exception {
    QueueFunctions.GATE.close();
    storage.queue("gated").sendMessage("unfinished");
    QueueTriggerListener listener = start("QueueGate", TriggerTestApp.config());
    await("the invocation started", () -> QueueFunctions.GATE.current() == 1);

    listener.stop(Duration.ofMillis(200));

    QueueClient gated = storage.queue("gated");
    List<QueueMessageItem> again = new ArrayList<>();
    await("the message is visible again", () -> {
      gated.receiveMessages(1).forEach(again::add);
      return !again.isEmpty();
    });
    assertThat(again.get(0).getBody().toString()).isEqualTo("unfinished");
    assertThat(again.get(0).getDequeueCount()).isEqualTo(2);
    gated.deleteMessage(again.get(0).getMessageId(), again.get(0).getPopReceipt());
    assertThat(QueueFunctions.GATED).isEmpty();
  }

  @Test
  void wake_endsTheEmptyQueuesBackOffAndTakesANewMessageAtOnce() throws Exception {
    // Empty queues polled at most once an hour: after seven empty receives the poller waits 12.8 s.
    HostConfig config = new HostConfig("api", 100, 4, 0, 3, Duration.ofMillis(100), Duration.ofHours(1), 3, 2,
        Duration.ofMinutes(1));
    QueueTriggerListener listener = start("QueueText", config);
    await("seven empty receives", () -> listener.receives() >= 7);

    storage.queue("texts").sendMessage("woken");
    listener.wake();

    // Well inside the 12.8 s the back-off had left to wait.
    long deadline = System.nanoTime() + Duration.ofSeconds(8).toNanos();
    while (QueueFunctions.TEXTS.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(QueueFunctions.TEXTS).extracting(QueueFunctions.Text::message).containsExactly("woken");
  }

  private QueueTriggerListener start(String function, HostConfig config) throws Exception {
    QueueTriggerListener listener = new QueueTriggerListener(TriggerTestApp.function(function), storage, config);
    listeners.add(listener);
    listener.start();
    return listener;
  }

  private static void stop(QueueTriggerListener listener, Duration grace) {
    try {
      listener.stop(grace);
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  private void sendGated(int count) {
    for (int i = 0; i < count; i++) {
      storage.queue("gated").sendMessage("m-" + i);
    }
  }

  /** Messages in a queue, visible or not. */
  private long messagesIn(String queue) {
    return storage.queue(queue).getProperties().getApproximateMessagesCountLong();
  }

  /** The poison messages of one message of {@code queue}. */
  private List<QueuePoisonMessage> poisonMessages(String queue, String messageId) {
    return storage.queue(QueueTriggerListener.poisonQueueName(queue)).peekMessages(32, null, null).stream()
        .map(m -> {
          try {
            return JSON.readValue(m.getBody().toString(), QueuePoisonMessage.class);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }).filter(m -> m.messageId().equals(messageId)).toList();
  }

  /** A client that sends text as it is, not base64: what a producer that forgot the encoding does. */
  private QueueClient rawClient(String queue) {
    return new QueueClientBuilder().connectionString(azurite.connectionString()).queueName(queue).buildClient();
  }
}
