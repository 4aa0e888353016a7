package io.realtimeai.scoring;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.realtimeai.storage.StorageLayout;
import java.util.Base64;
import java.util.Optional;

/**
 * A message of the {@code scoring} queue: which image version to score, and the image itself when
 * it is small. A small image rides in the message (the blob trigger has read it already), sparing
 * the scorer a download; a larger one is named only, so the message stays within the queue's
 * 64 KiB whatever the image's size, and the scorer reads the bytes of exactly this version
 * ({@code If-Match}).
 *
 * @param service the service, the first folder under {@code images/}
 * @param path the image's path under {@code images/{service}/}
 * @param etag the image version, quoted as blob ETags are on the wire
 * @param content the image version's bytes in base64, or null when the scorer reads them from the blob
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ScoringJob(String service, String path, String etag, String content) {
  /**
   * The largest image carried in its job: base64 twice over (in the JSON, then on the wire) it
   * takes 16/9 of its size, and the queue takes 64 KiB at most.
   */
  public static final int MAX_INLINE_BYTES = 32 * 1024;

  public ScoringJob {
    require("service", service);
    require("path", path);
    require("etag", etag);
    // The blob trigger gives the ETag quoted, the SDK's properties sometimes not: one spelling for rows and If-Match.
    etag = etag.startsWith("\"") ? etag : "\"" + etag + "\"";
  }

  /** A job that names its image only. */
  public ScoringJob(String service, String path, String etag) {
    this(service, path, etag, null);
  }

  /** This job carrying {@code bytes}, the image version it names, when they are at most {@link #MAX_INLINE_BYTES}. */
  public ScoringJob carrying(byte[] bytes) {
    return bytes == null || bytes.length > MAX_INLINE_BYTES ? this
        : new ScoringJob(service, path, etag, Base64.getEncoder().encodeToString(bytes));
  }

  /** The image's bytes when the job carries them. */
  public Optional<byte[]> inlineImage() {
    return Optional.ofNullable(content).map(Base64.getDecoder()::decode);
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

  /** The job without the image it carries, for logs. */
  @Override
  public String toString() {
    return "ScoringJob[" + image() + ", etag " + etag + (content == null ? "" : ", " + content.length()
        + " base64 characters inline") + "]";
  }

  /** {@code images/{service}/{path}}, for messages. */
  public String image() {
    return StorageLayout.IMAGES + "/" + service + "/" + path;
  }
}
