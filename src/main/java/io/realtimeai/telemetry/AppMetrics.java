package io.realtimeai.telemetry;

import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.models.PeekedMessageItem;
import com.azure.storage.queue.models.QueueStorageException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.realtimeai.events.EventOutbox;
import io.realtimeai.events.RecordedEvent;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The function app's metrics, one registry per process (as a Functions host runs one worker per
 * instance): HTTP scoring by service and outcome, drop-folder jobs by outcome, deployments by
 * outcome, and backlogs read from storage when scraped — the scoring queue's depth and the age of
 * its oldest message, its poison queue, the event outbox's undelivered events and the oldest of them.
 */
public final class AppMetrics {
  private static final Logger LOG = Logger.getLogger(AppMetrics.class.getName());
  /** Backlogs are read again at most this often, however often the endpoint is scraped. */
  private static final Duration BACKLOG_TTL = Duration.ofSeconds(5);
  /** Undelivered events counted at most: the outbox is read a page at a time. */
  private static final int OUTBOX_LIMIT = 1000;

  private static final PrometheusMeterRegistry REGISTRY = Prometheus.newRegistry();
  /**
   * Where the app's own meters are registered: Micrometer's global registry, which hands them to
   * {@link #REGISTRY} and, on Azure, to the Application Insights Java agent, which collects what is
   * registered there.
   */
  private static final MeterRegistry METERS = Metrics.globalRegistry;
  private static final Backlog BACKLOG = new Backlog();

  static {
    // For the life of the process, as the registry is.
    Prometheus.bindGc(REGISTRY);
    Metrics.globalRegistry.add(REGISTRY);
    Gauge.builder("realtime_ai.scoring.queue.depth", BACKLOG, b -> b.queueDepth)
        .description("Jobs waiting on the scoring queue (approximate, as Azure Storage counts them)")
        .baseUnit("messages").register(METERS);
    Gauge.builder("realtime_ai.scoring.queue.oldest.age", BACKLOG, b -> b.oldestJobAgeSeconds)
        .description("Age of the oldest visible job on the scoring queue; 0 when it is empty")
        .baseUnit("seconds").register(METERS);
    Gauge.builder("realtime_ai.scoring.poison.depth", BACKLOG, b -> b.poisonDepth)
        .description("Jobs parked on scoring-poison after failing every attempt")
        .baseUnit("messages").register(METERS);
    Gauge.builder("realtime_ai.events.outbox.backlog", BACKLOG, b -> b.outboxBacklog)
        .description("Events recorded but not yet delivered to Event Grid (counted up to " + OUTBOX_LIMIT + ")")
        .baseUnit("events").register(METERS);
    Gauge.builder("realtime_ai.events.outbox.oldest.age", BACKLOG, b -> b.oldestEventAgeSeconds)
        .description("Age of the oldest undelivered event; 0 when every event was delivered")
        .baseUnit("seconds").register(METERS);
  }

  private AppMetrics() {}

  /**
   * Notes one HTTP score call: {@code realtime_ai_score_duration_seconds{service, outcome}} and
   * {@code realtime_ai_score_requests_total{service, outcome, status}}, outcome {@code ok} or the status class.
   */
  public static void scored(String service, int status, long nanos) {
    String outcome = status < 300 ? "ok" : status < 500 ? "client_error" : "server_error";
    Prometheus.latency("realtime_ai.score.duration", "HTTP score calls, as the function saw them")
        .tag("service", service).tag("outcome", outcome).register(METERS)
        .record(nanos, TimeUnit.NANOSECONDS);
    Counter.builder("realtime_ai.score.requests").description("HTTP score calls by service, outcome and HTTP status")
        .tag("service", service).tag("outcome", outcome).tag("status", Integer.toString(status))
        .register(METERS).increment();
  }

  /** Notes one drop-folder job: {@code realtime_ai_folder_jobs_total{outcome}} (scored, failed, already_scored, superseded, attempt_failed). */
  public static void folderJob(String outcome) {
    Counter.builder("realtime_ai.folder.jobs").description("Drop-folder scoring jobs by outcome")
        .tag("outcome", outcome).register(METERS).increment();
  }

  /** Notes one deployment operation that ended: {@code realtime_ai_deployments_total{operation, outcome}}. */
  public static void deploymentEnded(String operation, String outcome) {
    Counter.builder("realtime_ai.deployments").description("Deployment operations that ended, by type and final state")
        .tag("operation", operation).tag("outcome", outcome).register(METERS).increment();
  }

  /** The Prometheus text of every metric, the backlogs in {@code storage} and {@code outbox} read first unless read within 5 s. */
  public static String scrape(Storage storage, EventOutbox outbox) {
    BACKLOG.refresh(storage, outbox);
    return REGISTRY.scrape();
  }

  /** Backlog readings, refreshed at most every {@link #BACKLOG_TTL}; a failed reading keeps the last one. */
  private static final class Backlog {
    volatile double queueDepth;
    volatile double oldestJobAgeSeconds;
    volatile double poisonDepth;
    volatile double outboxBacklog;
    volatile double oldestEventAgeSeconds;
    private Instant readAt = Instant.EPOCH;
    private final java.util.concurrent.locks.ReentrantLock reading = new java.util.concurrent.locks.ReentrantLock();

    /** A scrape during a reading (storage slow or down) answers with the last readings rather than wait. */
    void refresh(Storage storage, EventOutbox outbox) {
      if (!reading.tryLock()) {
        return;
      }
      try {
        read(storage, outbox);
      } finally {
        reading.unlock();
      }
    }

    private void read(Storage storage, EventOutbox outbox) {
      Instant now = Instant.now();
      if (Duration.between(readAt, now).compareTo(BACKLOG_TTL) < 0) {
        return;
      }
      readAt = now;
      try {
        QueueClient scoring = storage.queue(StorageLayout.SCORING_QUEUE);
        queueDepth = depth(scoring);
        oldestJobAgeSeconds = scoring.peekMessages(1, null, null).stream().findFirst()
            .map(PeekedMessageItem::getInsertionTime)
            .map(at -> Math.max(0, Duration.between(at.toInstant(), now).toMillis() / 1000.0)).orElse(0.0);
        poisonDepth = depth(storage.queue(StorageLayout.SCORING_QUEUE + "-poison"));
        List<RecordedEvent> pending = outbox.pending(OUTBOX_LIMIT);
        outboxBacklog = pending.size();
        oldestEventAgeSeconds = pending.stream().map(e -> e.event().eventTime()).min(Instant::compareTo)
            .map(at -> Math.max(0, Duration.between(at, now).toMillis() / 1000.0)).orElse(0.0);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "cannot read the backlogs for /api/metrics: " + e.getMessage());
      }
    }

    private static double depth(QueueClient queue) {
      try {
        return queue.getProperties().getApproximateMessagesCount();
      } catch (QueueStorageException e) {
        if (e.getStatusCode() == 404) {
          return 0;
        }
        throw e;
      }
    }
  }
}
