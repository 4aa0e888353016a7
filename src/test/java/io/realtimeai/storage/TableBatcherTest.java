package io.realtimeai.storage;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.TableClientBuilder;
import com.azure.data.tables.models.TableEntity;
import com.azure.data.tables.models.TableServiceException;
import com.azure.data.tables.models.TableTransactionFailedException;
import io.realtimeai.testing.AzuriteExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** Group commits of row creations on a real Azurite. */
@Tag("integration")
class TableBatcherTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();

  /** Holds the first request of a test until released, so that callers queue behind it. */
  private static final class Gate implements HttpPipelinePolicy {
    final CountDownLatch open = new CountDownLatch(1);
    final AtomicBoolean first = new AtomicBoolean(true);

    @Override
    public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
      if (!first.compareAndSet(true, false)) {
        return next.process();
      }
      return Mono.fromCallable(() -> open.await(30, TimeUnit.SECONDS)).subscribeOn(Schedulers.boundedElastic())
          .flatMap(ignored -> next.process());
    }
  }

  private final Gate gate = new Gate();
  private TableClient table;
  private TableBatcher batcher;
  private String name;

  @BeforeEach
  void table() {
    name = "batcher" + System.nanoTime();
    azurite.storage().createTable(name);
    table = new TableClientBuilder().connectionString(azurite.connectionString()).tableName(name).addPolicy(gate)
        .buildClient();
    batcher = new TableBatcher(table);
  }

  private static TableEntity row(String partition, String key) {
    return new TableEntity(partition, key).addProperty("Value", key);
  }

  /** Starts {@code first} (held at the gate), queues the others behind it, then opens the gate. */
  private List<CompletableFuture<Void>> behindTheFirst(List<TableEntity> first, List<List<TableEntity>> others)
      throws InterruptedException {
    List<CompletableFuture<Void>> calls = new ArrayList<>();
    calls.add(CompletableFuture.runAsync(() -> batcher.create(first)));
    while (gate.first.get()) {
      Thread.sleep(5);
    }
    for (List<TableEntity> rows : others) {
      calls.add(CompletableFuture.runAsync(() -> batcher.create(rows)));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (batcher.waiting() < others.size() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(batcher.waiting()).as("callers queued behind the first").isEqualTo(others.size());
    gate.open.countDown();
    return calls;
  }

  private Map<String, Object> stored(String partition, String key) {
    return azurite.storage().table(name).getEntity(partition, key).getProperties();
  }

  @Test
  void create_writesTheCallersQueuedMeanwhileInOneTransaction() throws Exception {
    List<CompletableFuture<Void>> calls = behindTheFirst(List.of(row("p", "a")),
        List.of(List.of(row("p", "b")), List.of(row("p", "c"), row("p", "d")), List.of(row("p", "e"))));
    for (CompletableFuture<Void> call : calls) {
      call.get(30, TimeUnit.SECONDS);
    }

    for (String key : List.of("a", "b", "c", "d", "e")) {
      assertThat(stored("p", key)).containsEntry("Value", key);
    }
    assertThat(batcher.counts()).as("the first alone, then the three queued sets together").containsExactly(2, 4);
  }

  @Test
  void create_answersEachSetAsAloneWhenOneOfTheQueuedConflicts() throws Exception {
    azurite.storage().table(name).createEntity(row("p", "taken"));
    azurite.storage().table(name).createEntity(row("p", "taken-too"));

    List<CompletableFuture<Void>> calls = behindTheFirst(List.of(row("p", "first")),
        List.of(List.of(row("p", "taken")), List.of(row("p", "fine")), List.of(row("p", "new"), row("p", "taken-too"))));

    calls.get(0).get(30, TimeUnit.SECONDS);
    calls.get(2).get(30, TimeUnit.SECONDS);
    assertThat(calls.get(1)).failsWithin(30, TimeUnit.SECONDS).withThrowableThat().havingRootCause()
        .isInstanceOfSatisfying(TableServiceException.class, e -> assertThat(e.getResponse().getStatusCode()).isEqualTo(409));
    assertThat(calls.get(3)).failsWithin(30, TimeUnit.SECONDS).withThrowableThat().havingRootCause()
        .isInstanceOf(TableTransactionFailedException.class);
    assertThat(stored("p", "fine")).containsEntry("Value", "fine");
    assertThat(azurite.storage().table(name).listEntities().stream().map(TableEntity::getRowKey))
        .as("the failed set wrote none of its rows").doesNotContain("new");
  }

  @Test
  void create_neverMixesPartitionsInOneTransaction() throws Exception {
    List<CompletableFuture<Void>> calls = behindTheFirst(List.of(row("p", "a")),
        List.of(List.of(row("q", "b")), List.of(row("p", "c")), List.of(row("q", "d"))));
    for (CompletableFuture<Void> call : calls) {
      call.get(30, TimeUnit.SECONDS);
    }

    assertThat(stored("q", "b")).containsEntry("Value", "b");
    assertThat(stored("q", "d")).containsEntry("Value", "d");
    // the first alone; then q's two sets together; then p's queued one
    assertThat(batcher.counts()).containsExactly(3, 4);
  }
}
