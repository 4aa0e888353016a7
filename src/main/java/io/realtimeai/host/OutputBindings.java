package io.realtimeai.host;

import com.azure.storage.queue.models.QueueStorageException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.realtimeai.app.AppSettings;
import io.realtimeai.storage.Storage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * Writes a function's output bindings once it has returned, as the Functions host does: the value
 * of a {@code queue} binding becomes a message on its queue (a list, one message per item; text as
 * it is, anything else as JSON; base64 on the wire, like every producer here), the queue created
 * on first use. A queue trigger of this host on that queue is then told to look at once rather
 * than at its next poll, as the Functions host's shared queue watcher tells its own listeners of
 * the messages its output bindings wrote. A function that fails writes nothing.
 */
public final class OutputBindings {
  /** For hosts and tests that run functions without output bindings: a value bound to one fails the invocation. */
  public static final OutputBindings NONE = new OutputBindings(connection -> {
    throw new IllegalStateException("this host writes no output bindings");
  });

  private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();

  private final Function<String, Storage> storages;
  private final Map<String, List<Runnable>> watchers = new ConcurrentHashMap<>();
  private final Set<String> created = ConcurrentHashMap.newKeySet();

  /** Output bindings written to the storage each {@code connection} setting names. */
  public OutputBindings(Function<String, Storage> storages) {
    this.storages = storages;
  }

  /** Calls {@code wake} whenever a message is written to {@code queue} of the storage {@code connection} names. */
  public void watch(String connection, String queue, Runnable wake) {
    watchers.computeIfAbsent(key(connection, queue), k -> new CopyOnWriteArrayList<>()).add(wake);
  }

  /**
   * Writes the values a function set on its output bindings, by binding name.
   *
   * @throws IllegalArgumentException for a value bound to a binding type the local host does not write
   */
  void write(FunctionDescriptor function, Map<String, Object> values) {
    for (Binding binding : function.bindings()) {
      Object value = values.get(binding.name());
      if (!"out".equals(binding.direction()) || value == null || binding.name().equals("$return")) {
        continue;
      }
      if (!binding.type().equals("queue")) {
        throw new IllegalArgumentException("output binding '" + binding.name() + "' of type " + binding.type()
            + " is not written by the local host (queue outputs are)");
      }
      String connection = binding.string("connection") == null ? AppSettings.STORAGE : binding.string("connection");
      String queue = binding.string("queueName");
      Storage storage = storages.apply(connection);
      if (!created.contains(key(connection, queue))) {
        storage.createQueue(queue);
        created.add(key(connection, queue));
      }
      for (String message : messages(value)) {
        send(storage, queue, message);
      }
      watchers.getOrDefault(key(connection, queue), List.of()).forEach(Runnable::run);
    }
  }

  private static void send(Storage storage, String queue, String message) {
    try {
      storage.queue(queue).sendMessage(message);
    } catch (QueueStorageException e) {
      if (e.getStatusCode() != 404) {
        throw e;
      }
      // Deleted since this host created it: created again, as the Functions host creates an output queue it lacks.
      storage.createQueue(queue);
      storage.queue(queue).sendMessage(message);
    }
  }

  private static List<String> messages(Object value) {
    List<String> messages = new ArrayList<>();
    if (value instanceof Iterable<?> items) {
      items.forEach(item -> messages.add(text(item)));
    } else if (value instanceof Object[] items) {
      for (Object item : items) {
        messages.add(text(item));
      }
    } else {
      messages.add(text(value));
    }
    return messages;
  }

  private static String text(Object value) {
    if (value instanceof String text) {
      return text;
    }
    if (value instanceof byte[] bytes) {
      return new String(bytes, StandardCharsets.UTF_8);
    }
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON: " + e.getMessage(), e);
    }
  }

  private static String key(String connection, String queue) {
    return connection + "\n" + queue;
  }
}
