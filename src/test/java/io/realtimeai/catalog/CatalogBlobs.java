package io.realtimeai.catalog;

import com.azure.core.util.BinaryData;
import com.azure.data.tables.models.TableEntity;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import io.realtimeai.generate.ModelGenerator;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

/** Drops files into the {@code accelerated-models} container as a user would, through the SDK. */
final class CatalogBlobs {
  private final Storage storage;

  CatalogBlobs(Storage storage) {
    this.storage = storage;
  }

  /** The bytes of a generated model. */
  static byte[] model(ModelKind kind, long seed) {
    return ModelGenerator.generate(kind, seed).toByteArray();
  }

  /**
   * Uploads (or overwrites) {@code ref/version/model.onnx} and answers the new version's ETag, quoted
   * as the storage service and the host's trigger metadata write it (Azurite's upload answer leaves the quotes off).
   */
  String dropModel(String ref, String version, byte[] content) {
    return AcceleratedModels.quoted(drop(ref + "/" + version + "/" + AcceleratedModels.MODEL_FILE, content));
  }

  /** Uploads (or overwrites) {@code ref/version/model.json}; single quotes stand for double quotes. */
  String dropNotes(String ref, String version, String json) {
    return drop(ref + "/" + version + "/model.json", json.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
  }

  /** Deletes a blob. */
  void delete(String ref, String version, String file) {
    container().getBlobClient(ref + "/" + version + "/" + file).delete();
  }

  /** Empties the container and the table, so each test starts from an empty catalog. */
  void clear() {
    for (BlobItem item : container().listBlobs()) {
      container().getBlobClient(item.getName()).delete();
    }
    var table = storage.table(StorageLayout.ACCELERATED_MODELS_TABLE);
    for (TableEntity row : table.listEntities()) {
      table.deleteEntity(row.getPartitionKey(), row.getRowKey());
    }
  }

  /** The number of rows in the catalog table. */
  long rows() {
    return storage.table(StorageLayout.ACCELERATED_MODELS_TABLE).listEntities().stream().count();
  }

  /** The SHA-256 of some bytes, hex. */
  static String sha256(byte[] content) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
  }

  private String drop(String name, byte[] content) {
    return container().getBlobClient(name)
        .uploadWithResponse(new BlobParallelUploadOptions(BinaryData.fromBytes(content)), null, null)
        .getValue().getETag();
  }

  private BlobContainerClient container() {
    return storage.container(StorageLayout.ACCELERATED_MODELS);
  }
}
