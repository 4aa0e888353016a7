package io.realtimeai.registry;

import java.time.Instant;
import java.util.List;

/**
 * What became of an upload to {@code model-uploads} ({@code GET /api/uploads/{name}}).
 *
 * @param name the upload's name: the zip's name without {@code .zip}, or the folder's name
 * @param state {@code Pending} (files still missing), {@code Registered} or {@code Rejected}
 * @param modelId the registered version, when {@code Registered}
 * @param missing the files the definition names that are not there yet, when {@code Pending}
 * @param reasons every reason, each naming its field or file, when {@code Rejected}
 * @param source the blob (or folder) the upload is
 * @param uploadKey identifies the upload's exact blob versions
 * @param pendingSince when the upload started waiting for files
 * @param updatedAt when this status was written
 */
public record UploadStatus(
    String name,
    String state,
    String modelId,
    List<String> missing,
    List<String> reasons,
    String source,
    String uploadKey,
    Instant pendingSince,
    Instant updatedAt) {

  public UploadStatus {
    missing = missing == null ? List.of() : List.copyOf(missing);
    reasons = reasons == null ? List.of() : List.copyOf(reasons);
  }

  /** True once registered or rejected. */
  public boolean settled() {
    return "Registered".equals(state) || "Rejected".equals(state);
  }

  /** True while files are missing. */
  public boolean pending() {
    return "Pending".equals(state);
  }
}
