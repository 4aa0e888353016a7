package io.realtimeai.scoring;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.deployment.DeploymentOrchestrator;
import io.realtimeai.deployment.Deployments;
import io.realtimeai.deployment.ServiceKeys;
import io.realtimeai.deployment.ServiceRecord;
import io.realtimeai.error.NotFoundException;
import io.realtimeai.error.PayloadTooLargeException;
import io.realtimeai.error.RealtimeAiException;
import io.realtimeai.error.UnavailableException;
import io.realtimeai.error.UnprocessableException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * How the scoring functions talk to services: one channel per service, spread round-robin over
 * its ready replicas, the key from the service record, a deadline per call, {@code UNAVAILABLE}
 * retried with backoff; a fast 503 when no replica is ready; the record read again (in the
 * background, without holding up calls) every few seconds, at once after a refused key (keys were regenerated) or
 * when every replica stopped answering (they restarted elsewhere).
 */
public final class ServiceConnections implements AutoCloseable, DeploymentOrchestrator.Listener {
  private static final Logger LOG = Logger.getLogger(ServiceConnections.class.getName());
  private static final Duration FRESH = Duration.ofSeconds(2);
  // Reads service records again off the callers' threads; one at a time is plenty.
  private static final ExecutorService REFRESHER = Executors.newSingleThreadExecutor(r -> {
    Thread thread = new Thread(r, "service-connections-refresh");
    thread.setDaemon(true);
    return thread;
  });
  // Opens connections to services just deployed (a call to each), without holding up refreshes.
  private static final ExecutorService PRIMER = Executors.newSingleThreadExecutor(r -> {
    Thread thread = new Thread(r, "service-connections-prime");
    thread.setDaemon(true);
    return thread;
  });

  private final Deployments deployments;
  private final Duration deadline;
  private final Path trustDir;
  private final Clock clock;
  private final Map<String, Connection> byName = new ConcurrentHashMap<>();
  private final Set<String> refreshing = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /**
   * A live connection to one service.
   *
   * @param service the service record it was made from
   * @param keys the keys the client sends
   * @param client the client over the service's ready replicas (null while none is ready)
   * @param readAt when the record was read
   */
  public record Connection(ServiceRecord service, ServiceKeys keys, PredictionClient client, Instant readAt) {}

  public ServiceConnections(Deployments deployments, Duration deadline, Path trustDir, Clock clock) {
    this.deployments = deployments;
    this.deadline = deadline;
    this.trustDir = trustDir;
    this.clock = clock;
  }

  /**
   * Runs {@code call} against the service, mapping its failures to the error vocabulary: an
   * input the model cannot take is 422, a message above the limit 413, and a service that cannot
   * answer 503 (after one fresh look at its record).
   *
   * @throws NotFoundException when there is no such service
   * @throws UnavailableException when no replica is ready or none answers
   */
  public <T> T call(String service, Function<Connection, T> call) {
    Connection connection = connection(service, false);
    try {
      return call.apply(connection);
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      if (code == Status.Code.UNAUTHENTICATED || code == Status.Code.UNAVAILABLE) {
        // Keys regenerated, or replicas restarted on other ports: read the record again and retry once.
        Connection fresh = connection(service, true);
        // The key this call sends, read before it: another caller may switch the client's key meanwhile.
        String sent = fresh.client() == null ? null : fresh.client().key();
        try {
          return call.apply(fresh);
        } catch (StatusRuntimeException again) {
          if (again.getStatus().getCode() == Status.Code.UNAUTHENTICATED && sent != null) {
            return withTheOtherKey(fresh, sent, call, again);
          }
          throw map(fresh.service().name(), again);
        }
      }
      throw map(connection.service().name(), e);
    }
  }

  /**
   * Refused with the key the record names: its replicas may not have it yet (a Kubernetes kubelet
   * hands a pod a changed Secret only on its next sync, a minute or more later), while the other
   * key, unchanged, still opens them. The client keeps the other key (a record read with changed
   * keys later builds a new client on the primary).
   */
  private <T> T withTheOtherKey(Connection connection, String tried, Function<Connection, T> call,
      StatusRuntimeException refused) {
    PredictionClient client = connection.client();
    String other = connection.keys().primaryKey().equals(tried) ? connection.keys().secondaryKey()
        : connection.keys().primaryKey();
    // Atomic and from the key refused: concurrent callers refused at once switch once, nobody switches back.
    if (client.key().equals(tried)) {
      LOG.warning(() -> "service '" + connection.service().name() + "' refused its record's key; trying its other key"
          + " (its replicas may not have the new one yet)");
    }
    client.switchKey(tried, other);
    try {
      return call.apply(connection);
    } catch (StatusRuntimeException again) {
      throw map(connection.service().name(), again.getStatus().getCode() == Status.Code.UNAUTHENTICATED ? refused : again);
    }
  }

  /**
   * The connection to a service, made or refreshed as needed. A stale connection that still has
   * a client serves this call while the record is read again in the background, so that no
   * caller waits for that read; without a client (no replica was ready), the caller reads it.
   */
  public Connection connection(String service, boolean refresh) {
    Connection current = byName.get(service);
    if (current == null || refresh) {
      current = refresh(service, current);
    } else if (clock.instant().isAfter(current.readAt().plus(FRESH))) {
      if (current.client() == null) {
        current = refresh(service, current);
      } else {
        refreshInBackground(service, current);
      }
    }
    if (current.service().readyAddresses().isEmpty()) {
      throw notReady(current.service());
    }
    return current;
  }

  /**
   * Opens the connection to a service that was just deployed or updated, off the caller's
   * thread, and asks for its labels: the first score call then finds a channel ready.
   */
  @Override
  public void deployed(String serviceId) {
    PRIMER.execute(() -> {
      if (closed) {
        return;
      }
      try {
        connection(serviceId, true).client().labels();
      } catch (RuntimeException e) {
        // The first score call opens it then, and answers with what it finds.
        LOG.fine(() -> "could not open the connection to service " + serviceId + " ahead of its first call: " + e.getMessage());
      }
    });
  }

  /** Drops the connection to a service that was just deleted, rather than keep reconnecting to its closed ports. */
  @Override
  public void deleted(String serviceId) {
    forget(serviceId);
  }

  /** The connection made so far to a service (by id or name), if any. */
  public Optional<Connection> existing(String service) {
    return Optional.ofNullable(byName.get(service));
  }

  private void refreshInBackground(String service, Connection stale) {
    if (refreshing.add(service)) {
      REFRESHER.execute(() -> {
        try {
          refresh(service, stale);
        } catch (RuntimeException e) {
          // The next call that needs the record reads it itself, and answers with what it finds.
          LOG.fine(() -> "could not refresh the connection to service '" + service + "': " + e.getMessage());
        } finally {
          refreshing.remove(service);
        }
      });
    }
  }

  private synchronized Connection refresh(String service, Connection stale) {
    Connection current = byName.get(service);
    if (current != null && current != stale && clock.instant().isBefore(current.readAt().plus(FRESH))) {
      return current;
    }
    ServiceRecord record;
    try {
      record = deployments.get(service);
    } catch (NotFoundException e) {
      // Deleted: its channel goes too, rather than keep reconnecting to ports that are closed.
      forget(service);
      throw e;
    }
    ServiceKeys keys = deployments.keys(record.id());
    List<String> addresses = record.readyAddresses();
    if (addresses.isEmpty()) {
      // No client while no replica is ready: the next one is built from the record as it is then,
      // with its keys and its model's labels, not from whatever the service was before.
      closeLater(current == null ? null : current.client());
      return remember(new Connection(record, keys, null, clock.instant()));
    }
    PredictionClient client = current == null ? null : current.client();
    // A client keeps the labels it was answered once: another model (an update) needs a new client.
    boolean sameKeys = current != null && keys.equals(current.keys()) && current.service().sslEnabled() == record.sslEnabled()
        && Objects.equals(current.service().modelId(), record.modelId());
    if (client != null && sameKeys) {
      if (!addresses.equals(current.service().readyAddresses())) {
        client.updateAddresses(addresses);
      }
    } else {
      PredictionClient.Builder builder = PredictionClient.builder(addresses).key(keys.primaryKey()).deadline(deadline);
      if (record.sslEnabled()) {
        builder.trustCertificate(trustedCertificate(record)).authority("localhost");
      }
      closeLater(client);
      client = builder.build();
    }
    return remember(new Connection(record, keys, client, clock.instant()));
  }

  // Under every name a caller may use: the service's id and its name.
  private Connection remember(Connection connection) {
    byName.put(connection.service().id(), connection);
    byName.put(connection.service().name(), connection);
    return connection;
  }

  // A client on old keys or an old model is closed off the calling thread: closing waits for its channel.
  private static void closeLater(PredictionClient client) {
    if (client != null) {
      Thread closer = new Thread(client::close, "close-service-client");
      closer.setDaemon(true);
      closer.start();
    }
  }

  private Path trustedCertificate(ServiceRecord record) {
    try {
      Files.createDirectories(trustDir);
      Path pem = trustDir.resolve(record.id() + ".pem");
      Files.writeString(pem, deployments.certificate(record.id()));
      return pem;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the certificate of service " + record.name(), e);
    }
  }

  private static UnavailableException notReady(ServiceRecord service) {
    return new UnavailableException("service '" + service.name() + "' has no ready replica (state " + service.state()
        + "); retry shortly");
  }

  /** The error vocabulary's answer to a gRPC failure of a service. */
  static RealtimeAiException map(String service, StatusRuntimeException e) {
    String description = e.getStatus().getDescription() == null ? e.getStatus().getCode().name() : e.getStatus().getDescription();
    return switch (e.getStatus().getCode()) {
      case INVALID_ARGUMENT -> new UnprocessableException(description, e);
      case RESOURCE_EXHAUSTED -> new PayloadTooLargeException("the request is above the service's message limit: " + description, e);
      default -> new UnavailableException("service '" + service + "' did not answer: " + e.getStatus().getCode()
          + (e.getStatus().getDescription() == null ? "" : ": " + e.getStatus().getDescription()), e);
    };
  }

  /** Forgets a service's connection (it was deleted). */
  private void forget(String service) {
    Connection gone = byName.remove(service);
    if (gone != null) {
      byName.values().removeIf(c -> c == gone);
      closeLater(gone.client());
    }
  }

  @Override
  public void close() {
    closed = true;
    byName.values().stream().map(Connection::client).filter(c -> c != null).distinct().forEach(PredictionClient::close);
    byName.clear();
    LOG.fine("service connections closed");
  }
}
