package io.realtimeai.host.triggers.functions;

import com.microsoft.azure.functions.OutputBinding;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.QueueOutput;
import com.microsoft.azure.functions.annotation.QueueTrigger;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Queue-triggered functions for the trigger tests: each records what it was given. */
public final class QueueFunctions {
  /** A message body bound from JSON. */
  public record Order(String id, int quantity) {}

  /** One invocation of {@code QueueText}. */
  public record Text(String message, long dequeueCount, String id, String insertionTime, String popReceipt) {}

  /** One attempt of {@code QueueAlwaysFails}. */
  public record Attempt(String message, int dequeueCount) {}

  public static final Queue<Text> TEXTS = new ConcurrentLinkedQueue<>();
  public static final Queue<byte[]> BYTES = new ConcurrentLinkedQueue<>();
  public static final Queue<Order> ORDERS = new ConcurrentLinkedQueue<>();
  public static final Queue<Attempt> FAILED_ATTEMPTS = new ConcurrentLinkedQueue<>();
  public static final Queue<String> GATED = new ConcurrentLinkedQueue<>();
  public static final Probe GATE = new Probe();

  @FunctionName("QueueText")
  public void text(
      @QueueTrigger(name = "message", queueName = "texts", connection = "AzureWebJobsStorage") String message,
      @BindingName("DequeueCount") long dequeueCount,
      @BindingName("Id") String id,
      @BindingName("InsertionTime") String insertionTime,
      @BindingName("PopReceipt") String popReceipt) {
    TEXTS.add(new Text(message, dequeueCount, id, insertionTime, popReceipt));
  }

  @FunctionName("QueueBytes")
  public void bytes(
      @QueueTrigger(name = "message", queueName = "bytes", dataType = "binary",
          connection = "AzureWebJobsStorage") byte[] message) {
    BYTES.add(message);
  }

  @FunctionName("QueueOrder")
  public void order(
      @QueueTrigger(name = "order", queueName = "orders", connection = "AzureWebJobsStorage") Order order) {
    ORDERS.add(order);
  }

  @FunctionName("QueueAlwaysFails")
  public void alwaysFails(
      @QueueTrigger(name = "message", queueName = "failing", connection = "AzureWebJobsStorage") String message,
      @BindingName("DequeueCount") int dequeueCount) {
    FAILED_ATTEMPTS.add(new Attempt(message, dequeueCount));
    throw new IllegalStateException("always fails on " + message);
  }

  @FunctionName("QueueGate")
  public void gate(
      @QueueTrigger(name = "message", queueName = "gated", connection = "AzureWebJobsStorage") String message)
      throws InterruptedException {
    GATE.enter();
    boolean completed = false;
    try {
      GATE.pass();
      GATED.add(message);
      completed = true;
    } finally {
      GATE.exit(completed);
    }
  }

  /**
   * Relays its message to {@code relay-out} through a queue output binding: upper-cased, as two
   * messages for {@code "twice"}, as JSON for {@code "order"}; fails, writing nothing, for {@code "fail"}.
   */
  @FunctionName("QueueRelay")
  public void relay(
      @QueueTrigger(name = "message", queueName = "relay-in", connection = "AzureWebJobsStorage") String message,
      @QueueOutput(name = "relayed", queueName = "relay-out", connection = "AzureWebJobsStorage")
          OutputBinding<Object> relayed) {
    switch (message) {
      case "twice" -> relayed.setValue(java.util.List.of("one", "two"));
      case "order" -> relayed.setValue(new Order("o-1", 3));
      default -> relayed.setValue(message.toUpperCase(java.util.Locale.ROOT));
    }
    if (message.equals("fail")) {
      throw new IllegalStateException("fails after setting its output");
    }
  }
}
