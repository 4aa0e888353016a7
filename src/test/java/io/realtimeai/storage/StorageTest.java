package io.realtimeai.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.util.BinaryData;
import com.azure.storage.queue.models.QueueMessageItem;
import io.realtimeai.testing.AzuriteExtension;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Storage on a real Azurite: the layout of DESIGN §3, created idempotently; queue messages in base64. */
@Tag("integration")
class StorageTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();

  @Test
  void ensureLayout_createsEveryContainerQueueAndTableAndCanRunAgain() {
    Storage storage = azurite.storage();

    storage.ensureLayout().ensureLayout();

    assertThat(storage.blobs().listBlobContainers().stream().map(c -> c.getName()).collect(Collectors.toSet()))
        .containsAll(StorageLayout.CONTAINERS);
    // Not listQueues(): Azurite answers the Java SDK's listing with 400 (Azure/Azurite#1426).
    for (String queue : StorageLayout.QUEUES) {
      assertThat(storage.queue(queue).getProperties().getApproximateMessagesCount()).as(queue).isNotNegative();
    }
    assertThat(storage.tables().listTables().stream().map(t -> t.getName()).collect(Collectors.toSet()))
        .containsAll(StorageLayout.TABLES);
  }

  @Test
  void queue_sendsMessagesInBase64AsTheFunctionsHostExpects() {
    Storage storage = azurite.storage().ensureLayout();
    storage.queue(StorageLayout.SCORING_QUEUE).sendMessage(BinaryData.fromString("{\"job\": 1}"));

    // Read the raw wire text with a client that does not decode.
    var raw = new com.azure.storage.queue.QueueClientBuilder().connectionString(azurite.connectionString())
        .queueName(StorageLayout.SCORING_QUEUE).buildClient();
    List<QueueMessageItem> messages = raw.receiveMessages(1).stream().toList();

    assertThat(messages).hasSize(1);
    String wire = messages.get(0).getBody().toString();
    assertThat(new String(Base64.getDecoder().decode(wire))).isEqualTo("{\"job\": 1}");
  }

  @Test
  void connect_refusesAMissingConnectionSetting() {
    assertThatThrownBy(() -> Storage.connect(" ")).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("set AzureWebJobsStorage");
  }

  @Test
  void connect_expandsTheDevelopmentStorageShorthandToAzuriteStandardPorts() {
    assertThat(Storage.connect("UseDevelopmentStorage=true").blobEndpoint())
        .isEqualTo("http://127.0.0.1:10000/devstoreaccount1");
  }
}
