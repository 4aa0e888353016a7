package io.realtimeai.storage;

import java.util.List;

/** The containers, queues and tables of DESIGN §3, and the ones the Functions host keeps for itself. */
public final class StorageLayout {
  private StorageLayout() {}

  /** What users drop: {@code {name}.zip}, or {@code {name}/service_def.json} and its files. */
  public static final String MODEL_UPLOADS = "model-uploads";
  /** Registered packages: {@code {name}/{version}/model.zip}. */
  public static final String MODELS = "models";
  /** The accelerated model catalog: {@code {model_ref}/{model_version}/model.onnx}. */
  public static final String ACCELERATED_MODELS = "accelerated-models";
  /** Images to score: {@code {service}/{any/path}}. */
  public static final String IMAGES = "images";
  /** One JSON document per scored image: {@code {service}/{any/path}.json}. */
  public static final String RESULTS = "results";

  /** Tables: the registry, deployments, operations, the result index and the event outbox. */
  public static final String MODELS_TABLE = "models";
  public static final String SERVICES_TABLE = "services";
  public static final String OPERATIONS_TABLE = "operations";
  public static final String RESULTS_TABLE = "results";
  public static final String EVENTS_TABLE = "events";
  /** What became of each upload: Pending, Registered or Rejected, with reasons. */
  public static final String UPLOADS_TABLE = "uploads";
  /** The accelerated model catalog's index, one row per entry (a table name is alphanumeric: no dash). */
  public static final String ACCELERATED_MODELS_TABLE = "acceleratedmodels";

  /** Queues: orchestration steps and scoring jobs. */
  public static final String DEPLOYMENTS_QUEUE = "deployments";
  public static final String SCORING_QUEUE = "scoring";
  /** Delayed re-checks of folder uploads still waiting for files. */
  public static final String UPLOADS_QUEUE = "uploads";

  /** Blob-trigger receipts, kept by the Functions host (and by our local host, the same way). */
  public static final String HOST_CONTAINER = "azure-webjobs-hosts";
  /** Where the Functions host parks a blob that failed every attempt. */
  public static final String BLOB_POISON_QUEUE = "webjobs-blobtrigger-poison";

  /** The containers the app needs. */
  public static final List<String> CONTAINERS =
      List.of(MODEL_UPLOADS, MODELS, ACCELERATED_MODELS, IMAGES, RESULTS, HOST_CONTAINER);
  /** The tables the app needs. */
  public static final List<String> TABLES = List.of(MODELS_TABLE, SERVICES_TABLE, OPERATIONS_TABLE, RESULTS_TABLE,
      EVENTS_TABLE, UPLOADS_TABLE, ACCELERATED_MODELS_TABLE);
  /** The queues the app needs, each with its poison queue. */
  public static final List<String> QUEUES = List.of(DEPLOYMENTS_QUEUE, DEPLOYMENTS_QUEUE + "-poison",
      SCORING_QUEUE, SCORING_QUEUE + "-poison", UPLOADS_QUEUE, UPLOADS_QUEUE + "-poison", BLOB_POISON_QUEUE);
}
