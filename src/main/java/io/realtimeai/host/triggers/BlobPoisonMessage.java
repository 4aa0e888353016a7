package io.realtimeai.host.triggers;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What goes on {@code webjobs-blobtrigger-poison} when a blob version failed every attempt: the
 * Functions host's fields, so tools that read its poison queue read ours, plus {@code Reason},
 * the last failure's message.
 *
 * @param type always {@code BlobTrigger}
 * @param functionId {@code Host.Functions.{function name}}, as the Functions host names it
 * @param blobType {@code BlockBlob}, {@code AppendBlob} or {@code PageBlob}
 * @param containerName the blob's container
 * @param blobName the blob's name
 * @param etag the failed version's ETag, quoted
 * @param reason why the last attempt failed
 */
public record BlobPoisonMessage(
    @JsonProperty("Type") String type,
    @JsonProperty("FunctionId") String functionId,
    @JsonProperty("BlobType") String blobType,
    @JsonProperty("ContainerName") String containerName,
    @JsonProperty("BlobName") String blobName,
    @JsonProperty("ETag") String etag,
    @JsonProperty("Reason") String reason) {

  /** The message for one blob version of one function. */
  public static BlobPoisonMessage of(String functionName, String blobType, String container, String blobName,
      String etag, String reason) {
    return new BlobPoisonMessage("BlobTrigger", "Host.Functions." + functionName, blobType, container, blobName, etag,
        reason);
  }
}
