package io.realtimeai.registry;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.DownloadRetryOptions;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.queue.QueueClient;
import io.realtimeai.error.BadRequestException;
import io.realtimeai.error.InvalidPackageException;
import io.realtimeai.error.UnsupportedMediaTypeException;
import io.realtimeai.error.NotFoundException;
import io.realtimeai.events.EventOutbox;
import io.realtimeai.events.EventType;
import io.realtimeai.packaging.ModelPackage;
import io.realtimeai.packaging.ModelPackager;
import io.realtimeai.packaging.PackageArchive;
import io.realtimeai.packaging.PackageLimits;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.pipeline.Pipeline;
import io.realtimeai.pipeline.ServiceDefinition;
import io.realtimeai.pipeline.ServiceDefinitions;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.logging.Logger;

/**
 * What happens to a blob dropped into {@code model-uploads}: a {@code {name}.zip} is checked as
 * {@code realtime-ai package} checks a package and registered as it is; a {@code {name}/} folder
 * is packaged from {@code service_def.json} and the files it names (the Brainwave "zip the
 * definition with the graphs" step), then registered. Folder files may arrive in any order: each
 * arrival looks again, a delayed re-check looks again while files are missing, and an upload
 * still incomplete after the bounded wait is refused with the list of what never arrived.
 *
 * <p>Nothing invalid is registered: every reason is kept in the upload's status
 * ({@code GET /api/uploads/{name}}) and published as {@code ModelRejected}. The same blob versions
 * processed twice register once; an overwritten upload registers a new version.
 */
public final class ModelUploads {
  private static final Logger LOG = Logger.getLogger(ModelUploads.class.getName());
  private static final int MAX_LOOKS = 8;

  /** Gives a directory catalog holding the accelerated models a package names (those that exist and are valid). */
  @FunctionalInterface
  public interface CatalogSource {
    /** The catalog for {@code refVersions} ({@code ref/version} each). */
    AcceleratedCatalog materialize(Collection<String> refVersions);
  }

  /**
   * How uploads are handled.
   *
   * @param pendingLimit how long a folder may wait for its files before it is refused
   * @param recheckDelay how long a re-check of a waiting folder is delayed
   * @param limits what a package may hold
   * @param workDir where packages are assembled and checked
   */
  public record Settings(Duration pendingLimit, Duration recheckDelay, PackageLimits limits, Path workDir) {
    /** Five minutes of waiting, re-checked every five seconds, the default package limits. */
    public static Settings defaults(Path workDir) {
      return new Settings(Duration.ofMinutes(5), Duration.ofSeconds(5), PackageLimits.DEFAULT, workDir);
    }
  }

  private final Storage storage;
  private final ModelRegistry registry;
  private final EventOutbox events;
  private final CatalogSource catalog;
  private final UploadTracker tracker;
  private final Clock clock;
  private final Settings settings;

  public ModelUploads(Storage storage, ModelRegistry registry, EventOutbox events, CatalogSource catalog, Clock clock,
      Settings settings) {
    this.storage = storage;
    this.registry = registry;
    this.events = events;
    this.catalog = catalog;
    this.tracker = new UploadTracker(storage);
    this.clock = clock;
    this.settings = settings;
  }

  /** The status of the upload {@code name}. */
  public UploadStatus status(String name) {
    return tracker.find(name).orElseThrow(() -> new NotFoundException("no upload named '" + name + "' in "
        + StorageLayout.MODEL_UPLOADS + " (drop " + name + ".zip or a " + name + "/ folder there)"));
  }

  /**
   * A blob landed in {@code model-uploads}.
   *
   * @param blobName its name inside the container
   * @param etag its version
   * @param content its bytes when the trigger already read them, else null
   */
  public UploadStatus onBlob(String blobName, String etag, byte[] content) {
    int slash = blobName.indexOf('/');
    if (slash < 0) {
      if (blobName.toLowerCase(java.util.Locale.ROOT).endsWith(".zip")) {
        return zip(blobName.substring(0, blobName.length() - 4), blobName, etag, content);
      }
      String name = blobName.contains(".") ? blobName.substring(0, blobName.lastIndexOf('.')) : blobName;
      return reject(name, "file:" + blobName + "@" + etag, location(blobName), null,
          List.of(location(blobName) + ": not a package; drop a {name}.zip package, or a {name}/ folder holding "
              + ServiceDefinition.FILE_NAME + " and the files it names"));
    }
    return folder(blobName.substring(0, slash));
  }

  /**
   * {@code POST /api/models}: registers a package already in storage ({@code blobPath}) or at a
   * URL. Downloads are capped in size and time. An invalid package is refused with every reason
   * (and {@code ModelRejected}); the same source version registers once.
   */
  public ModelRecord register(RegisterModelRequest request, ModelDownloads downloads) {
    if (request == null) {
      throw new BadRequestException("body: required, {\"name\", \"url\" or \"blobPath\", \"mimeType\": \"application/zip\"}");
    }
    if (request.name() == null || request.name().isBlank()) {
      throw new BadRequestException("name: required");
    }
    ModelNames.require(request.name());
    if ((request.url() == null) == (request.blobPath() == null)) {
      throw new BadRequestException("url, blobPath: give exactly one: where the package zip is");
    }
    if (request.mimeType() != null && !ModelRecord.MIME_TYPE.equalsIgnoreCase(request.mimeType().strip())) {
      throw new UnsupportedMediaTypeException("mimeType: '" + request.mimeType() + "' is not a model package; packages are "
          + ModelRecord.MIME_TYPE + " (service_def.json and the files it names)");
    }
    if (Boolean.FALSE.equals(request.unpack())) {
      throw new BadRequestException("unpack: false is not supported: a model package is always a zip to unpack");
    }
    Path work = workDir();
    try {
      Path zip = work.resolve("package.zip");
      ModelDownloads.Downloaded source = request.blobPath() != null
          ? downloads.fromBlob(request.blobPath(), zip)
          : downloads.fromUrl(request.url(), zip);
      String key = source.location() + "@" + source.version();
      List<String> problems;
      ModelPackage modelPackage = null;
      try {
        modelPackage = ModelPackage.extract(zip, work.resolve("package"), settings.limits());
        AcceleratedCatalog accelerated = catalog.materialize(ModelPackage.acceleratedModels(modelPackage.definition()));
        Pipeline.Validation validation = Pipeline.validate(modelPackage.root(), modelPackage.definition(), accelerated);
        problems = validation.problems();
        if (problems.isEmpty()) {
          return registry.register(request.name(), zip, ModelPackager.sha256(zip), Files.size(zip), validation.stages(),
              new ModelRegistry.Source(source.location(), source.version(), key), request.description(), request.tags());
        }
      } catch (InvalidPackageException e) {
        problems = e.details();
      }
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("name", request.name());
      data.put("source", source.location());
      data.put("reasons", problems);
      events.record(EventType.MODEL_REJECTED, "/models/" + subjectName(request.name()), data, "api:" + key);
      throw new InvalidPackageException(problems);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot register " + request.name() + ": " + e.getMessage(), e);
    } finally {
      PackageArchive.deleteTree(work);
    }
  }

  /** The delayed re-check of a folder upload still waiting for files; refuses it once it waited too long. */
  public UploadStatus recheck(String name) {
    UploadStatus status = tracker.find(name).orElse(null);
    if (status == null || !status.pending()) {
      return status;
    }
    if (status.pendingSince() != null && clock.instant().isAfter(status.pendingSince().plus(settings.pendingLimit()))) {
      List<String> reasons = List.of(location(name + "/") + ": waited " + settings.pendingLimit().toSeconds()
          + " s (since " + status.pendingSince() + ") for files that never arrived: " + String.join(", ", status.missing()));
      return reject(name, "timeout:" + name + "@" + status.pendingSince(), location(name + "/"), null, reasons);
    }
    UploadStatus now = folder(name);
    if (now.pending()) {
      scheduleRecheck(name);
    }
    return now;
  }

  private UploadStatus zip(String name, String blobName, String etag, byte[] content) {
    String key = "zip:" + blobName + "@" + etag;
    String nameProblem = ModelNames.problem(name);
    if (nameProblem != null) {
      return reject(name, key, location(blobName), null, List.of(location(blobName) + ": " + nameProblem));
    }
    UploadStatus known = tracker.find(name).orElse(null);
    if (known != null && known.settled() && key.equals(known.uploadKey())) {
      return known;
    }
    Path work = workDir();
    try {
      Path zip = work.resolve(name + ".zip");
      if (content != null) {
        Files.write(zip, content);
      } else if (!download(blobName, etag, zip)) {
        // Overwritten or deleted since it was seen: the newer version has its own trigger.
        return tracker.find(name).orElse(null);
      }
      ModelPackage modelPackage;
      try {
        modelPackage = ModelPackage.extract(zip, work.resolve("package"), settings.limits());
      } catch (InvalidPackageException e) {
        return reject(name, key, location(blobName), null, e.details());
      }
      return check(name, key, location(blobName), etag, modelPackage, zip, null);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot handle upload " + location(blobName) + ": " + e.getMessage(), e);
    } finally {
      PackageArchive.deleteTree(work);
    }
  }

  private UploadStatus folder(String name) {
    for (int look = 0; look < MAX_LOOKS; look++) {
      UploadTracker.Read read = tracker.read(name);
      UploadStatus outcome = lookAtFolder(name, read);
      if (outcome != null) {
        return outcome;
      }
    }
    throw new IllegalStateException("upload " + name + "/ kept changing while it was checked; it will be checked again");
  }

  /** One look at a folder upload; null when the status changed meanwhile and the caller must look again. */
  private UploadStatus lookAtFolder(String name, UploadTracker.Read read) {
    String source = location(name + "/");
    String nameProblem = ModelNames.problem(name);
    Map<String, String> present = list(name);
    if (nameProblem != null) {
      return reject(name, "folder:" + name + ":" + fingerprint(present), source, read, List.of(source + ": " + nameProblem));
    }
    String definitionEtag = present.get(ServiceDefinition.FILE_NAME);
    if (definitionEtag == null) {
      return waitFor(name, read, List.of(ServiceDefinition.FILE_NAME), source);
    }
    ServiceDefinition definition;
    try {
      definition = ServiceDefinitions.parse(storage.container(StorageLayout.MODEL_UPLOADS)
          .getBlobClient(name + "/" + ServiceDefinition.FILE_NAME).downloadContent().toBytes());
    } catch (InvalidPackageException e) {
      return reject(name, "folder:" + name + ":" + ServiceDefinition.FILE_NAME + "@" + definitionEtag, source, read, e.details());
    }
    Map<String, String> named = ModelPackage.referencedFiles(definition);
    List<String> unsafe = new ArrayList<>();
    named.forEach((field, file) -> {
      String problem = PackageArchive.nameProblem(file);
      if (problem != null) {
        unsafe.add(field + ": '" + file + "' must be a relative path inside the package (it " + problem + ")");
      }
    });
    if (!unsafe.isEmpty()) {
      return reject(name, "folder:" + name + ":" + ServiceDefinition.FILE_NAME + "@" + definitionEtag, source, read, unsafe);
    }
    // A SavedModel folder is there once its saved_model.pb is.
    List<String> missing = new TreeSet<>(named.values()).stream()
        .filter(file -> !present.containsKey(file) && !present.containsKey(file + "/saved_model.pb"))
        .map(file -> ModelPackage.isFolderStage(definition, file) && !file.endsWith(".pb") ? file + "/saved_model.pb" : file)
        .toList();
    if (!missing.isEmpty()) {
      return waitFor(name, read, missing, source);
    }
    // Every blob of the folder is fetched: a SavedModel's variables and an ONNX model's external data are
    // named inside the models, not in the definition; packaging keeps only what the models use.
    Map<String, String> used = new TreeMap<>(present);
    String key = "folder:" + name + ":" + fingerprint(used);
    if (read.status() != null && read.status().settled() && key.equals(read.status().uploadKey())) {
      return read.status();
    }
    Path work = workDir();
    try {
      Path folder = work.resolve("folder");
      for (Map.Entry<String, String> file : used.entrySet()) {
        Path target = folder.resolve(file.getKey()).normalize();
        Files.createDirectories(target.getParent());
        if (!download(name + "/" + file.getKey(), file.getValue(), target)) {
          return null;
        }
      }
      ModelPackage modelPackage;
      try {
        modelPackage = ModelPackage.openDirectory(folder);
      } catch (InvalidPackageException e) {
        return reject(name, key, source, read, e.details());
      }
      Path zip = work.resolve(name + ".zip");
      PackageArchive.write(folder, modelPackage.files(), zip);
      return check(name, key, source, definitionEtag, modelPackage, zip, read);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot package upload " + source + ": " + e.getMessage(), e);
    } finally {
      PackageArchive.deleteTree(work);
    }
  }

  /** Validates a package as the runtime will load it, then registers it or refuses it with every reason. */
  private UploadStatus check(String name, String key, String source, String etag, ModelPackage modelPackage, Path zip,
      UploadTracker.Read read) throws IOException {
    AcceleratedCatalog accelerated = catalog.materialize(ModelPackage.acceleratedModels(modelPackage.definition()));
    Pipeline.Validation validation = Pipeline.validate(modelPackage.root(), modelPackage.definition(), accelerated);
    if (!validation.ok()) {
      return reject(name, key, source, read, validation.problems());
    }
    ModelRecord model = registry.register(name, zip, ModelPackager.sha256(zip), Files.size(zip), validation.stages(),
        new ModelRegistry.Source(source, etag, key), null, null);
    return settle(name, key, source, read, model.id(), List.of());
  }

  /**
   * Records a final status: registered when {@code modelId} is given, else rejected with
   * {@code reasons}. Written against the status as {@code read} saw it (or as read now), looking
   * again when another writer changed it first.
   */
  private UploadStatus settle(String name, String key, String source, UploadTracker.Read read, String modelId,
      List<String> reasons) {
    for (int look = 0; look < MAX_LOOKS; look++) {
      UploadTracker.Read current = look == 0 && read != null ? read : tracker.read(name);
      UploadStatus done = settleOrLookAgain(name, key, source, current, modelId, reasons);
      if (done != null) {
        return done;
      }
    }
    throw new IllegalStateException("the status of upload " + name + " kept changing; it will be settled again");
  }

  private UploadStatus reject(String name, String key, String source, UploadTracker.Read read, List<String> reasons) {
    return settle(name, key, source, read, null, reasons);
  }

  private UploadStatus settleOrLookAgain(String name, String key, String source, UploadTracker.Read read, String modelId,
      List<String> reasons) {
    if (read.status() != null && read.status().settled() && key.equals(read.status().uploadKey())) {
      return read.status();
    }
    boolean registered = modelId != null;
    UploadStatus status = new UploadStatus(name, registered ? "Registered" : "Rejected", modelId, List.of(), reasons,
        source, key, null, clock.instant());
    if (!tracker.write(read, status)) {
      return null;
    }
    if (!registered) {
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("name", name);
      data.put("source", source);
      data.put("reasons", reasons);
      events.record(EventType.MODEL_REJECTED, "/models/" + subjectName(name), data, key);
      LOG.info(() -> "upload " + source + " rejected: " + String.join("; ", reasons));
    } else {
      LOG.info(() -> "upload " + source + " registered as " + modelId);
    }
    return status;
  }

  private UploadStatus waitFor(String name, UploadTracker.Read read, List<String> missing, String source) {
    UploadStatus previous = read.status();
    boolean alreadyWaiting = previous != null && previous.pending();
    Instant since = alreadyWaiting && previous.pendingSince() != null ? previous.pendingSince() : clock.instant();
    UploadStatus status = new UploadStatus(name, "Pending", null, missing, List.of(), source, null, since, clock.instant());
    if (alreadyWaiting && previous.missing().equals(missing)) {
      return previous;
    }
    if (!tracker.write(read, status)) {
      return null;
    }
    if (!alreadyWaiting) {
      scheduleRecheck(name);
    }
    return status;
  }

  private void scheduleRecheck(String name) {
    QueueClient queue = storage.queue(StorageLayout.UPLOADS_QUEUE);
    queue.sendMessageWithResponse(BinaryData.fromObject(Map.of("name", name)), settings.recheckDelay(), null, null,
        com.azure.core.util.Context.NONE);
  }

  /** Every blob of a folder upload: its path inside the folder → ETag. */
  private Map<String, String> list(String name) {
    BlobContainerClient container = storage.container(StorageLayout.MODEL_UPLOADS);
    Map<String, String> present = new TreeMap<>();
    for (BlobItem item : container.listBlobs(new ListBlobsOptions().setPrefix(name + "/"), null)) {
      present.put(item.getName().substring(name.length() + 1), quoted(item.getProperties().getETag()));
    }
    return present;
  }

  /** Downloads one blob version; false when it changed or vanished meanwhile (the caller looks again). */
  private boolean download(String blobName, String etag, Path target) {
    try {
      storage.container(StorageLayout.MODEL_UPLOADS).getBlobClient(blobName).downloadToFileWithResponse(
          new com.azure.storage.blob.options.BlobDownloadToFileOptions(target.toString())
              .setRequestConditions(new BlobRequestConditions().setIfMatch(etag))
              .setDownloadRetryOptions(new DownloadRetryOptions().setMaxRetryRequests(3)),
          null, com.azure.core.util.Context.NONE);
      return true;
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 412 || BlobErrorCode.BLOB_NOT_FOUND.equals(e.getErrorCode())) {
        return false;
      }
      throw e;
    }
  }

  private Path workDir() {
    try {
      Files.createDirectories(settings.workDir());
      return Files.createTempDirectory(settings.workDir(), "upload-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a work folder under " + settings.workDir(), e);
    }
  }

  private static String fingerprint(Map<String, String> files) {
    StringBuilder text = new StringBuilder();
    files.forEach((path, etag) -> text.append(path).append('=').append(etag).append('\n'));
    return ModelRegistry.sha256Hex(text.toString()).substring(0, 32);
  }

  private static String quoted(String etag) {
    return etag == null || etag.startsWith("\"") ? etag : "\"" + etag + "\"";
  }

  private static String location(String blobName) {
    return StorageLayout.MODEL_UPLOADS + "/" + blobName;
  }

  private static String subjectName(String name) {
    return name.replace('/', '_');
  }
}
