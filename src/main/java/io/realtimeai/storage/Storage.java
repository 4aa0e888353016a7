package io.realtimeai.storage;

import com.azure.core.http.rest.Response;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.TableServiceClient;
import com.azure.data.tables.TableServiceClientBuilder;
import com.azure.data.tables.models.TableServiceException;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.QueueMessageEncoding;
import com.azure.storage.queue.QueueServiceClient;
import com.azure.storage.queue.QueueServiceClientBuilder;
import com.azure.storage.queue.models.QueueStorageException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one place that opens Azure Storage: blob, queue and table clients from a connection
 * setting, on Azurite locally and on a storage account in the cloud alike.
 */
public final class Storage {
  /**
   * Azurite's well-known development account. The key is public by design (it is printed in
   * Microsoft's documentation and built into every emulator), so it may sit in source.
   */
  public static final String DEV_ACCOUNT = "devstoreaccount1";

  public static final String DEV_KEY =
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

  private final String connectionString;
  private final BlobServiceClient blobs;
  private final QueueServiceClient queues;
  private final TableServiceClient tables;

  private Storage(String connectionString, StorageRequests requests) {
    this.connectionString = connectionString;
    this.blobs = new BlobServiceClientBuilder().connectionString(connectionString)
        .addPolicy(requests.policy("blob")).buildClient();
    // Base64 on the wire: what the Functions host expects of every queue message.
    this.queues = new QueueServiceClientBuilder().connectionString(connectionString)
        .messageEncoding(QueueMessageEncoding.BASE64).addPolicy(requests.policy("queue")).buildClient();
    this.tables = new TableServiceClientBuilder().connectionString(connectionString)
        .addPolicy(requests.policy("table")).buildClient();
  }

  /** Opens storage from a connection string or {@code UseDevelopmentStorage=true} (Azurite on 10000–10002). */
  public static Storage connect(String connection) {
    return connect(connection, StorageRequests.app());
  }

  /** Opens storage as {@link #connect(String)} does, counting its requests into {@code requests}. */
  public static Storage connect(String connection, StorageRequests requests) {
    if (connection == null || connection.isBlank()) {
      throw new IllegalStateException("no storage connection: set AzureWebJobsStorage"
          + " (UseDevelopmentStorage=true for Azurite, or a storage account's connection string)");
    }
    return new Storage(expand(connection.strip()), requests);
  }

  /** A connection string for Azurite's development account on the given ports of 127.0.0.1. */
  public static String azuriteConnectionString(int blobPort, int queuePort, int tablePort) {
    return "DefaultEndpointsProtocol=http;AccountName=" + DEV_ACCOUNT + ";AccountKey=" + DEV_KEY
        + ";BlobEndpoint=http://127.0.0.1:" + blobPort + "/" + DEV_ACCOUNT
        + ";QueueEndpoint=http://127.0.0.1:" + queuePort + "/" + DEV_ACCOUNT
        + ";TableEndpoint=http://127.0.0.1:" + tablePort + "/" + DEV_ACCOUNT + ";";
  }

  /** The settings of a connection string ({@code AccountName}, {@code AccountKey} …), the emulator shorthand spelled out. */
  public static Map<String, String> connectionSettings(String connection) {
    return parse(expand(connection.strip()));
  }

  // Not every Azure SDK client understands the emulator shorthand, so it is spelled out once here.
  private static String expand(String connection) {
    Map<String, String> parts = parse(connection);
    if ("true".equalsIgnoreCase(parts.get("UseDevelopmentStorage"))) {
      return azuriteConnectionString(10000, 10001, 10002);
    }
    return connection;
  }

  private static Map<String, String> parse(String connection) {
    Map<String, String> parts = new LinkedHashMap<>();
    for (String part : connection.split(";")) {
      int equals = part.indexOf('=');
      if (equals > 0) {
        parts.put(part.substring(0, equals).strip(), part.substring(equals + 1).strip());
      }
    }
    return parts;
  }

  /** The connection string, expanded. */
  public String connectionString() {
    return connectionString;
  }

  /** The blob service. */
  public BlobServiceClient blobs() {
    return blobs;
  }

  /** The queue service (base64 messages). */
  public QueueServiceClient queues() {
    return queues;
  }

  /** The table service. */
  public TableServiceClient tables() {
    return tables;
  }

  /** A blob container. */
  public BlobContainerClient container(String name) {
    return blobs.getBlobContainerClient(name);
  }

  /** A queue whose messages are base64 on the wire. */
  public QueueClient queue(String name) {
    return queues.getQueueClient(name);
  }

  /** A table. */
  public TableClient table(String name) {
    return tables.getTableClient(name);
  }

  /** The blob endpoint, e.g. {@code http://127.0.0.1:10000/devstoreaccount1}. */
  public String blobEndpoint() {
    return blobs.getAccountUrl();
  }

  /** Creates every container, queue and table of DESIGN §3 that does not exist yet. */
  public Storage ensureLayout() {
    for (String container : StorageLayout.CONTAINERS) {
      blobs.getBlobContainerClient(container).createIfNotExists();
    }
    for (String queue : StorageLayout.QUEUES) {
      createQueue(queue);
    }
    for (String table : StorageLayout.TABLES) {
      createTable(table);
    }
    return this;
  }

  /** Creates a queue unless it exists. */
  public void createQueue(String name) {
    try {
      queues.getQueueClient(name).createIfNotExists();
    } catch (QueueStorageException e) {
      if (e.getStatusCode() != 409) {
        throw e;
      }
    }
  }

  /** Creates a table unless it exists. */
  public void createTable(String name) {
    try {
      Response<?> ignored = tables.createTableIfNotExistsWithResponse(name, null, null);
    } catch (TableServiceException e) {
      if (e.getResponse().getStatusCode() != 409) {
        throw e;
      }
    }
  }
}
