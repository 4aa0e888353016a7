package io.realtimeai.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The settings of {@code host.json} the local host honours, with the Functions host's defaults.
 *
 * @param routePrefix {@code extensions.http.routePrefix} ({@code api})
 * @param maxConcurrentRequests {@code extensions.http.maxConcurrentRequests}: HTTP invocations at once
 * @param queueBatchSize {@code extensions.queues.batchSize}: messages fetched at once (16)
 * @param queueNewBatchThreshold {@code extensions.queues.newBatchThreshold}: fetch again when in flight drops to this
 * @param maxDequeueCount {@code extensions.queues.maxDequeueCount}: attempts before the poison queue (5)
 * @param visibilityTimeout {@code extensions.queues.visibilityTimeout}: delay before a failed message is retried
 * @param maxPollingInterval {@code extensions.queues.maxPollingInterval}: longest wait between polls of an empty queue
 * @param blobPoisonThreshold {@code extensions.blobs.poisonBlobThreshold}: attempts per blob version (5)
 * @param blobParallelism {@code extensions.blobs.maxDegreeOfParallelism}: blob invocations at once
 * @param functionTimeout {@code functionTimeout}
 */
public record HostConfig(
    String routePrefix,
    int maxConcurrentRequests,
    int queueBatchSize,
    int queueNewBatchThreshold,
    int maxDequeueCount,
    Duration visibilityTimeout,
    Duration maxPollingInterval,
    int blobPoisonThreshold,
    int blobParallelism,
    Duration functionTimeout) {

  /** The Functions host's defaults. */
  public static HostConfig defaults() {
    return new HostConfig("api", 100, 16, 8, 5, Duration.ZERO, Duration.ofMinutes(1), 5, 8, Duration.ofMinutes(10));
  }

  /** Reads {@code host.json}; absent settings keep the Functions host's defaults. */
  public static HostConfig read(Path hostJson) throws IOException {
    JsonNode root = new ObjectMapper().readTree(Files.readAllBytes(hostJson));
    HostConfig d = defaults();
    JsonNode http = root.path("extensions").path("http");
    JsonNode queues = root.path("extensions").path("queues");
    JsonNode blobs = root.path("extensions").path("blobs");
    int maxDequeue = queues.path("maxDequeueCount").asInt(d.maxDequeueCount());
    int batch = queues.path("batchSize").asInt(d.queueBatchSize());
    return new HostConfig(
        http.path("routePrefix").asText(d.routePrefix()),
        http.path("maxConcurrentRequests").asInt(d.maxConcurrentRequests()),
        batch,
        queues.path("newBatchThreshold").asInt(batch / 2),
        maxDequeue,
        timeSpan(queues.path("visibilityTimeout"), d.visibilityTimeout()),
        timeSpan(queues.path("maxPollingInterval"), d.maxPollingInterval()),
        blobs.path("poisonBlobThreshold").asInt(maxDequeue),
        blobs.path("maxDegreeOfParallelism").asInt(d.blobParallelism()),
        timeSpan(root.path("functionTimeout"), d.functionTimeout()));
  }

  /** A .NET TimeSpan ({@code hh:mm:ss[.fff]} or {@code d.hh:mm:ss}). */
  static Duration timeSpan(JsonNode node, Duration fallback) {
    if (node.isMissingNode() || node.isNull() || node.asText().isBlank()) {
      return fallback;
    }
    String text = node.asText().strip();
    long days = 0;
    int dot = text.indexOf('.');
    if (dot > 0 && dot < text.indexOf(':')) {
      days = Long.parseLong(text.substring(0, dot));
      text = text.substring(dot + 1);
    }
    String[] parts = text.split(":");
    if (parts.length != 3) {
      throw new IllegalArgumentException("not a time span (hh:mm:ss): " + node.asText());
    }
    double seconds = Double.parseDouble(parts[2]);
    return Duration.ofDays(days).plusHours(Long.parseLong(parts[0])).plusMinutes(Long.parseLong(parts[1]))
        .plusMillis(Math.round(seconds * 1000));
  }
}
