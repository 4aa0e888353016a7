package io.realtimeai.app;

import io.realtimeai.events.EventFeed;
import io.realtimeai.events.EventGridTopic;
import io.realtimeai.events.EventOutbox;
import io.realtimeai.events.EventPublisher;
import io.realtimeai.events.EventRelay;
import io.realtimeai.catalog.AcceleratedModels;
import io.realtimeai.deployment.DeploymentOrchestrator;
import io.realtimeai.deployment.Deployments;
import io.realtimeai.deployment.ReplicaProvider;
import io.realtimeai.deployment.ReplicaSupervisor;
import io.realtimeai.deployment.kubernetes.Clusters;
import io.realtimeai.deployment.kubernetes.KubernetesReplicaProvider;
import io.realtimeai.deployment.kubernetes.KubernetesSettings;
import io.realtimeai.deployment.kubernetes.PackageLocations;
import io.realtimeai.deployment.local.LocalReplicaProvider;
import io.realtimeai.packaging.PackageLimits;
import io.realtimeai.registry.ModelDownloads;
import io.realtimeai.registry.ModelRegistry;
import io.realtimeai.registry.ModelUploads;
import io.realtimeai.scoring.FolderScoring;
import io.realtimeai.scoring.PredictBatcher;
import io.realtimeai.scoring.ResultStore;
import io.realtimeai.scoring.ServiceConnections;
import io.realtimeai.storage.Storage;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The composition root: the app's long-lived services, built once per process from
 * {@link AppSettings} the first time a function needs them, as the Functions worker keeps one
 * process per host. Functions are thin adapters that ask it for a domain service.
 */
public final class App {
  private static final Logger LOG = Logger.getLogger(App.class.getName());
  private static volatile App instance;

  private final Storage storage;
  private final EventOutbox outbox;
  private final EventPublisher publisher;
  private final ModelRegistry registry;
  private final AcceleratedModels catalog;
  private final ModelUploads uploads;
  private final ModelDownloads downloads;
  private final ReplicaProvider provider;
  private final Deployments deployments;
  private final DeploymentOrchestrator orchestrator;
  private final ReplicaSupervisor supervisor;
  private final ResultStore results;
  private final ServiceConnections connections;
  private final FolderScoring folderScoring;
  private volatile EventRelay relay;

  private App(Storage storage, EventOutbox outbox, EventPublisher publisher) {
    this.storage = storage;
    this.outbox = outbox;
    this.publisher = publisher;
    this.registry = new ModelRegistry(storage, outbox, Clock.systemUTC());
    Path work = workDir();
    this.catalog = new AcceleratedModels(storage, AcceleratedModels.defaultCacheDir(storage));
    this.uploads = new ModelUploads(storage, registry, outbox, catalog::materialize,
        Clock.systemUTC(), new ModelUploads.Settings(
            Duration.ofSeconds(AppSettings.getInt("UPLOAD_PENDING_LIMIT_SECONDS", 300)),
            Duration.ofSeconds(AppSettings.getInt("UPLOAD_RECHECK_SECONDS", 5)),
            PackageLimits.DEFAULT, work.resolve("uploads")));
    this.downloads = new ModelDownloads(storage, (long) AppSettings.getInt("MODEL_DOWNLOAD_MAX_MB", 4096) << 20,
        Duration.ofSeconds(AppSettings.getInt("MODEL_DOWNLOAD_TIMEOUT_SECONDS", 300)));
    this.provider = replicaProvider(storage, catalog);
    this.deployments = new Deployments(storage, registry, provider, Clock.systemUTC(), new Deployments.Settings(
        AppSettings.getInt("ACCELERATOR_QUOTA", 4),
        Duration.ofSeconds(AppSettings.getInt("DEPLOYMENT_TIMEOUT_SECONDS", 300)),
        Duration.ofSeconds(1)));
    this.connections = new ServiceConnections(deployments,
        Duration.ofSeconds(AppSettings.getInt("SCORING_DEADLINE_SECONDS", 30)), work.resolve("trust"), Clock.systemUTC());
    this.orchestrator = new DeploymentOrchestrator(deployments, registry, provider, outbox, Clock.systemUTC(),
        connections);
    this.supervisor = new ReplicaSupervisor(deployments, orchestrator, provider, Clock.systemUTC(), connections);
    this.results = new ResultStore(storage, outbox);
    this.folderScoring = new FolderScoring(storage, results, new PredictBatcher(
        PredictBatcher.through(connections, FolderScoring.TOP),
        Duration.ofMillis(AppSettings.getInt("SCORING_BATCH_WINDOW_MS", 10)),
        AppSettings.getInt("SCORING_MAX_BATCH", 16)), Clock.systemUTC());
  }

  /**
   * Where replicas run, by setting {@code REPLICA_PROVIDER}: {@code local} (the default) runs them
   * as processes on this machine, {@code kubernetes} as pods of the cluster the {@code KUBERNETES_*}
   * settings name.
   */
  private static ReplicaProvider replicaProvider(Storage storage, AcceleratedModels catalog) {
    String kind = AppSettings.get("REPLICA_PROVIDER", "local").strip().toLowerCase(java.util.Locale.ROOT);
    switch (kind) {
      case "local" -> {
        return new LocalReplicaProvider(storage, catalog,
            Path.of(AppSettings.get("REPLICA_STATE_DIR", ProjectPaths.root().resolve(".realtime-ai/replicas").toString())),
            Path.of(AppSettings.get("RUNTIME_JAR", ProjectPaths.root().resolve("target/realtime-ai.jar").toString())));
      }
      case "kubernetes" -> {
        KubernetesSettings settings = KubernetesSettings.fromAppSettings();
        KubernetesReplicaProvider provider = new KubernetesReplicaProvider(Clusters.fromAppSettings(settings.namespace()),
            settings, PackageLocations.of(storage));
        LOG.info(() -> "replicas run on " + provider);
        return provider;
      }
      default -> throw new IllegalStateException("setting REPLICA_PROVIDER must be local or kubernetes, got '" + kind + "'");
    }
  }

  /** Where the app keeps temporary work: packages being checked, cached catalog models. */
  public static Path workDir() {
    return Path.of(AppSettings.get("REALTIME_AI_WORK_DIR", System.getProperty("java.io.tmpdir")), "realtime-ai");
  }

  /** An app over the given services (tests compose their own). */
  public static App of(Storage storage, EventOutbox outbox, EventPublisher publisher) {
    return new App(storage, outbox, publisher);
  }

  /** The process's app, built on first use from the settings; the storage layout is created then. */
  public static App get() {
    App current = instance;
    if (current == null) {
      synchronized (App.class) {
        current = instance;
        if (current == null) {
          Storage storage = Storage.connect(AppSettings.get(AppSettings.STORAGE, "")).ensureLayout();
          current = new App(storage, new EventOutbox(storage), null);
          instance = current;
        }
      }
    }
    return current;
  }

  /** Makes {@code app} the process's app (tests). */
  public static synchronized void install(App app) {
    instance = app;
  }

  /** Forgets the app (stopping its replica processes), so the next {@link #get()} builds a new one from the settings. */
  public static synchronized void reset() {
    if (instance != null) {
      instance.close();
    }
    instance = null;
  }

  /** Storage, with its layout in place. */
  public Storage storage() {
    return storage;
  }

  /** The event outbox, written in the same step as each state change. */
  public EventOutbox events() {
    return outbox;
  }

  /** The HTTP feed of the outbox. */
  public EventFeed eventFeed() {
    return new EventFeed(outbox);
  }

  /**
   * The relay to the Event Grid topic the {@code EVENTGRID_*} settings name, built on first use so
   * that a wrong setting fails the relay (and says which setting), not every function.
   */
  public EventRelay relay() {
    EventRelay current = relay;
    if (current == null) {
      synchronized (this) {
        current = relay;
        if (current == null) {
          EventPublisher chosen = publisher != null ? publisher : EventPublisher.fromAppSettings();
          if (!chosen.enabled()) {
            LOG.info(() -> EventGridTopic.ENDPOINT_SETTING + " is not set: events are recorded in the outbox"
                + " (GET /api/events) but not published");
          }
          current = new EventRelay(outbox, chosen);
          relay = current;
        }
      }
    }
    return current;
  }

  /** How long results and events are kept, when {@value Retention#SETTING} is set; read from the settings on each call. */
  public Optional<Retention> retention() {
    return Retention.setting().map(keep -> new Retention(results, outbox, () -> relay().publishing(), keep));
  }

  /** The accelerated model catalog: the featurizers packages may name. */
  public AcceleratedModels catalog() {
    return catalog;
  }

  /** The model registry. */
  public ModelRegistry registry() {
    return registry;
  }

  /** What happens to blobs dropped into {@code model-uploads}. */
  public ModelUploads uploads() {
    return uploads;
  }

  /** Package downloads for {@code POST /api/models}, capped in size and time. */
  public ModelDownloads downloads() {
    return downloads;
  }

  /** The service API's domain. */
  public Deployments deployments() {
    return deployments;
  }

  /** Advances deployment operations. */
  public DeploymentOrchestrator orchestrator() {
    return orchestrator;
  }

  /** Keeps deployed services up. */
  public ReplicaSupervisor supervisor() {
    return supervisor;
  }

  /** Persisted results: documents, the result index, their events. */
  public ResultStore results() {
    return results;
  }

  /** One channel per service, for the scoring functions. */
  public ServiceConnections connections() {
    return connections;
  }

  /** Drop-a-folder scoring: jobs from {@code images/{service}/…}, scored in batches per service. */
  public FolderScoring folderScoring() {
    return folderScoring;
  }

  /**
   * The host is going down: stops the replica processes (services stay recorded and come back
   * when the host starts again).
   */
  public void close() {
    try {
      // Local replicas stop with the host; pods do not, and their services stay as they are.
      if (provider instanceof LocalReplicaProvider) {
        deployments.markStopped();
      }
    } catch (RuntimeException e) {
      LOG.warning("could not record the services as stopped: " + e.getMessage());
    }
    connections.close();
    provider.close();
  }

  /** Reports on the app's health. */
  public Health health() {
    return new Health(storage);
  }
}
