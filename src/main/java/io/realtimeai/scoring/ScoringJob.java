package io.realtimeai.scoring;

import io.realtimeai.storage.StorageLayout;

/**
 * A message of the {@code scoring} queue: which image version to score. It names the image rather
 * than carrying it, so the message stays small whatever the image's size; the scorer reads the
 * bytes of exactly this version ({@code If-Match}).
 *
 * @param service the service, the first folder under {@code images/}
 * @param path the image's path under {@code images/{service}/}
 * @param etag the image version, quoted as blob ETags are on the wire
 */
public record ScoringJob(String service, String path, String etag) {
  public ScoringJob {
    require("service", service);
    require("path", path);
    require("etag", etag);
    // The blob trigger gives the ETag quoted, the SDK's properties sometimes not: one spelling for rows and If-Match.
    etag = etag.startsWith("\"") ? etag : "\"" + etag + "\"";
  }

  /**
   * The job for a blob named {@code {service}/{path}} in {@code images}.
   *
   * @throws IllegalArgumentException when the name has no service folder
   */
  public static ScoringJob of(String blobName, String etag) {
    int slash = blobName.indexOf('/');
    if (slash <= 0 || slash == blobName.length() - 1) {
      throw new IllegalArgumentException("images/" + blobName + " is not under a service's folder: drop images at"
          + " images/{service}/{path}, where {service} is the name of a deployed service");
    }
    return new ScoringJob(blobName.substring(0, slash), blobName.substring(slash + 1), etag);
  }

  private static void require(String field, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("a scoring job needs " + field + ": {\"service\", \"path\", \"etag\"}");
    }
  }

  /** {@code images/{service}/{path}}, for messages. */
  public String image() {
    return StorageLayout.IMAGES + "/" + service + "/" + path;
  }
}
