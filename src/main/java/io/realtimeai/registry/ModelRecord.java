package io.realtimeai.registry;

import io.realtimeai.pipeline.Pipeline;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A registered model version, as the registry answers it ({@code GET /api/models/{id}}).
 *
 * @param id {@code name:version}
 * @param name the model name
 * @param version 1, 2, 3 … per name
 * @param state {@code Registered}, or {@code Registering} while its package is being stored
 * @param sha256 the package zip's SHA-256, hex
 * @param size the package's size in bytes
 * @param url where the package is: {@code models/{name}/{version}/model.zip} in blob storage
 * @param mimeType always {@code application/zip}
 * @param createdAt when the version was registered
 * @param description free text
 * @param tags free key/value pairs
 * @param stages what each stage takes and gives
 * @param sourceBlob the upload (or URL) the package came from
 * @param sourceEtag that upload's ETag
 */
public record ModelRecord(
    String id,
    String name,
    int version,
    String state,
    String sha256,
    long size,
    String url,
    String mimeType,
    Instant createdAt,
    String description,
    Map<String, String> tags,
    List<Pipeline.StageSignature> stages,
    String sourceBlob,
    String sourceEtag) {

  /** The mime type of every package. */
  public static final String MIME_TYPE = "application/zip";

  public ModelRecord {
    tags = tags == null ? Map.of() : Map.copyOf(tags);
    stages = stages == null ? List.of() : List.copyOf(stages);
  }

  /** {@code name:version}. */
  public static String id(String name, int version) {
    return name + ":" + version;
  }

  /** The package's blob path inside the {@code models} container. */
  public static String packageBlob(String name, int version) {
    return name + "/" + version + "/model.zip";
  }
}
