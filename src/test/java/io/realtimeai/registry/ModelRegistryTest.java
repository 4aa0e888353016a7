package io.realtimeai.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.data.tables.models.TableEntity;
import io.realtimeai.error.ConflictException;
import io.realtimeai.error.NotFoundException;
import io.realtimeai.events.EventOutbox;
import io.realtimeai.events.EventType;
import io.realtimeai.events.RecordedEvent;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.AzuriteExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The registry on a real Azurite: versions per name, safe under concurrency, idempotent per upload. */
@Tag("integration")
class ModelRegistryTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();

  @TempDir Path dir;
  Storage storage;
  EventOutbox events;
  ModelRegistry registry;
  Path zip;

  @BeforeEach
  void setUp() throws Exception {
    storage = azurite.storage().ensureLayout();
    events = new EventOutbox(storage);
    registry = new ModelRegistry(storage, events, Clock.systemUTC());
    zip = Files.write(dir.resolve("model.zip"), new byte[] {'P', 'K', 5, 6});
  }

  private ModelRecord register(String name, String uploadKey) {
    return registry.register(name, zip, "abc123", 4, List.of(), new ModelRegistry.Source("model-uploads/" + name + ".zip",
        "\"etag\"", uploadKey), "a model", Map.of("team", "vision"));
  }

  @Test
  void register_givesVersionOneThenTwoAndStoresThePackage() {
    ModelRecord first = register("cats", "upload-1");
    ModelRecord second = register("cats", "upload-2");

    assertThat(first.id()).isEqualTo("cats:1");
    assertThat(second.id()).isEqualTo("cats:2");
    assertThat(second.state()).isEqualTo("Registered");
    assertThat(second.url()).isEqualTo("models/cats/2/model.zip");
    assertThat(storage.container(StorageLayout.MODELS).getBlobClient("cats/2/model.zip").downloadContent().toBytes())
        .containsExactly('P', 'K', 5, 6);
    assertThat(registry.get("cats").version()).as("the name alone is the latest").isEqualTo(2);
    assertThat(second.tags()).containsEntry("team", "vision");
  }

  @Test
  void register_theSameUploadTwiceGivesOneVersion() {
    ModelRecord first = register("dogs", "dogs.zip@1");
    ModelRecord again = register("dogs", "dogs.zip@1");

    assertThat(again.id()).isEqualTo(first.id());
    assertThat(registry.list("dogs", 100, null).value()).hasSize(1);
    List<RecordedEvent> registered = events.list(null, 100, null).events().stream()
        .filter(e -> e.event().eventType().equals(EventType.MODEL_REGISTERED.wireName()))
        .filter(e -> e.event().subject().startsWith("/models/dogs/")).toList();
    assertThat(registered).hasSize(1);
    assertThat(registered.get(0).event().subject()).isEqualTo("/models/dogs/versions/1");
  }

  @Test
  void register_tenUploadsOfOneNameAtOnceGetVersionsOneToTen() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(10);
    try {
      List<CompletableFuture<ModelRecord>> uploads = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        String key = "birds-" + i;
        uploads.add(CompletableFuture.supplyAsync(() -> register("birds", key), pool));
      }
      List<Integer> versions = uploads.stream().map(CompletableFuture::join).map(ModelRecord::version).sorted().toList();

      assertThat(versions).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void list_pagesThroughEveryRegisteredVersion() {
    for (int i = 0; i < 5; i++) {
      register("fish", "fish-" + i);
    }
    ModelPage first = registry.list("fish", 2, null);
    ModelPage second = registry.list("fish", 2, first.continuation());
    ModelPage third = registry.list("fish", 2, second.continuation());

    assertThat(first.value()).extracting(ModelRecord::version).containsExactly(1, 2);
    assertThat(second.value()).extracting(ModelRecord::version).containsExactly(3, 4);
    assertThat(third.value()).extracting(ModelRecord::version).containsExactly(5);
    assertThat(third.continuation()).isNull();
  }

  @Test
  void update_changesDescriptionAndTagsOnly() {
    ModelRecord model = register("owls", "owls-1");

    ModelRecord updated = registry.update(model.id(), "night birds", Map.of("stage", "prod"));

    assertThat(updated.description()).isEqualTo("night birds");
    assertThat(updated.tags()).containsExactly(Map.entry("stage", "prod"));
    assertThat(updated.sha256()).isEqualTo(model.sha256());
  }

  @Test
  void delete_refusesAModelAServiceRunsThenDeletesIt() {
    ModelRecord model = register("bats", "bats-1");
    storage.table(StorageLayout.SERVICES_TABLE).createEntity(new TableEntity("services", "svc-1")
        .addProperty("Name", "bat-detector").addProperty(ModelRegistry.SERVICE_MODEL_COLUMN, model.id())
        .addProperty("State", "Succeeded"));

    assertThatThrownBy(() -> registry.delete(model.id()))
        .isInstanceOfSatisfying(ConflictException.class, e -> {
          assertThat(e.httpStatus()).isEqualTo(409);
          assertThat(e.getMessage()).contains("bat-detector");
        });

    storage.table(StorageLayout.SERVICES_TABLE).deleteEntity("services", "svc-1");
    registry.delete(model.id());

    assertThatThrownBy(() -> registry.get(model.id())).isInstanceOf(NotFoundException.class);
    assertThat(storage.container(StorageLayout.MODELS).getBlobClient("bats/1/model.zip").exists()).isFalse();
    assertThat(events.list(null, 100, null).events()).extracting(e -> e.event().eventType())
        .contains(EventType.MODEL_DELETED.wireName());
  }

  @Test
  void get_answersNotFoundForAnUnknownIdAndAMalformedOne() {
    assertThatThrownBy(() -> registry.get("nothing:1")).isInstanceOf(NotFoundException.class)
        .hasMessage("model 'nothing:1' does not exist");
    assertThat(registry.find("bad name:x")).isEmpty();
  }
}
