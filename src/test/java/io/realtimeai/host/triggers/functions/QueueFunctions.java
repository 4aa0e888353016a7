package io.realtimeai.host.triggers.functions;

import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
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
}
