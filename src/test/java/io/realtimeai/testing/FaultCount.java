package io.realtimeai.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.data.tables.models.TableEntity;
import com.azure.storage.blob.models.ListBlobsOptions;
import io.realtimeai.app.App;
import io.realtimeai.events.RecordedEvent;
import io.realtimeai.scoring.ResultStore;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What a fault left behind, counted from storage after it: result rows and documents per image,
 * {@code ImageScored} events in the outbox and at the receiver per subject, operations by state,
 * and poison messages with their reasons. {@link #assertExactlyOnce} prints the counts on one line
 * (the README's fault table is made of them) and fails on anything lost, doubled or poisoned.
 *
 * @param fault the fault's name, for the line
 * @param images the images dropped (paths under the service's folder)
 * @param rows result rows per image path
 * @param documents result documents per image path
 * @param events {@code ImageScored} events in the outbox per image path
 * @param delivered events per image path that the receiver acknowledged, or null without a receiver
 * @param operations operations by state
 * @param poison poison messages by queue
 */
public record FaultCount(String fault, Set<String> images, Map<String, Long> rows, Map<String, Long> documents,
    Map<String, Long> events, Map<String, Long> delivered, Map<String, Long> operations, Map<String, List<String>> poison) {

  /** Counts what {@code service} has under {@code folder/} after {@code fault}; {@code receiver} may be null. */
  public static FaultCount of(String fault, Storage storage, String service, String folder, Collection<String> images,
      EventGridReceiver receiver) {
    String prefix = folder + "/";
    List<String> rowPaths = new ArrayList<>();
    String continuation = null;
    do {
      ResultStore.Page page = App.get().results().list(service, null, 1000, continuation);
      page.value().stream().map(ResultStore.Row::path).filter(p -> p.startsWith(prefix)).forEach(rowPaths::add);
      continuation = page.continuation();
    } while (continuation != null);
    List<String> documentPaths = new ArrayList<>();
    storage.container(StorageLayout.RESULTS).listBlobs(new ListBlobsOptions().setPrefix(service + "/" + prefix), null)
        .forEach(blob -> documentPaths.add(blob.getName().substring(service.length() + 1).replaceFirst("\\.json$", "")));
    String subjects = "/services/" + service + "/images/";
    List<RecordedEvent> scored = TestApp.eventsUnder("RealtimeAI.ImageScored", subjects + prefix);
    Map<String, Long> delivered = receiver == null ? null : receiver.acknowledgedEvents().stream()
        .filter(e -> e.get("eventType").asText().equals("RealtimeAI.ImageScored"))
        .map(e -> e.get("subject").asText()).filter(s -> s.startsWith(subjects + prefix))
        .map(s -> s.substring(subjects.length())).collect(counting());
    Map<String, Long> operations = new TreeMap<>();
    for (TableEntity operation : storage.table(StorageLayout.OPERATIONS_TABLE).listEntities()) {
      operations.merge(String.valueOf(operation.getProperty("State")), 1L, Long::sum);
    }
    Map<String, List<String>> poison = new TreeMap<>();
    for (String queue : List.of(StorageLayout.SCORING_QUEUE + "-poison", StorageLayout.DEPLOYMENTS_QUEUE + "-poison",
        StorageLayout.BLOB_POISON_QUEUE)) {
      List<String> messages = new ArrayList<>();
      try {
        storage.queue(queue).peekMessages(32, null, null).forEach(m -> messages.add(m.getBody().toString()));
      } catch (com.azure.storage.queue.models.QueueStorageException e) {
        if (e.getStatusCode() != 404) {
          throw e;
        }
      }
      poison.put(queue, messages);
    }
    return new FaultCount(fault, Set.copyOf(images), rowPaths.stream().collect(counting()),
        documentPaths.stream().collect(counting()),
        scored.stream().map(e -> e.event().subject().substring(subjects.length())).collect(counting()), delivered,
        operations, poison);
  }

  private static java.util.stream.Collector<String, ?, TreeMap<String, Long>> counting() {
    return Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting());
  }

  /** Images with no entry in {@code counts}. */
  private long lost(Map<String, Long> counts) {
    return images.stream().filter(i -> !counts.containsKey(i)).count();
  }

  /** Entries beyond one per image, and entries for images never dropped. */
  private long extra(Map<String, Long> counts) {
    return counts.entrySet().stream().mapToLong(e -> images.contains(e.getKey()) ? e.getValue() - 1 : e.getValue()).sum();
  }

  private String part(String what, Map<String, Long> counts) {
    return what + " " + counts.size() + "/" + images.size() + " (lost " + lost(counts) + ", duplicated " + extra(counts) + ")";
  }

  /** The counts on one line. */
  public String line() {
    return "FAULT " + fault + ": " + part("results", rows) + ", " + part("documents", documents) + ", "
        + part("events", events) + (delivered == null ? "" : ", " + part("delivered", delivered))
        + ", operations " + operations + ", poison " + poison.values().stream().mapToInt(List::size).sum();
  }

  /**
   * Prints {@link #line()} and asserts exactly one result row, document and event per image (and,
   * with a receiver, one delivery), every operation in a final state, and no poison message.
   */
  public FaultCount assertExactlyOnce() {
    System.out.println(line());
    for (Map.Entry<String, Map<String, Long>> counts : Map.of("results", rows, "documents", documents, "events", events)
        .entrySet()) {
      assertThat(lost(counts.getValue())).as(line() + ": " + counts.getKey() + " lost").isZero();
      assertThat(extra(counts.getValue())).as(line() + ": " + counts.getKey() + " duplicated").isZero();
    }
    if (delivered != null) {
      assertThat(lost(delivered)).as(line() + ": deliveries lost").isZero();
    }
    assertThat(operations.keySet()).as(line() + ": operations not in a final state")
        .allMatch(state -> List.of("Succeeded", "Failed", "Cancelled").contains(state));
    assertThat(poison).as(line() + ": poison").allSatisfy((queue, messages) -> assertThat(messages).as(queue).isEmpty());
    return this;
  }

  /** Deliveries of one image beyond the first (Event Grid is at-least-once: a send cut before its answer is sent again). */
  public long redelivered() {
    return delivered == null ? 0 : extra(delivered);
  }
}
