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
