package io.realtimeai.catalog;

import com.azure.core.util.Context;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.models.TableEntity;
import com.azure.data.tables.models.TableEntityUpdateMode;
import com.azure.data.tables.models.TableServiceException;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.logging.Logger;

/**
 * The accelerated model catalog of the control plane: models dropped at
 * {@code accelerated-models/{model_ref}/{model_version}/model.onnx} (with an optional
 * {@code model.json} beside them) are checked on ONNX Runtime and indexed in the
 * {@code acceleratedmodels} table ({@link CatalogRows}), and the valid ones a package names are
 * copied into a local {@link AcceleratedCatalog} directory for the pipeline to load.
 *
 * <p>Checking is idempotent per model version: an entry records the ETags of the {@code model.onnx}
 * and {@code model.json} it checked, and checking the same pair again changes nothing. Rows are
 * written under conditions (insert only where absent, replace only the row as read), and a version
 * is only ever recorded if it was still the blob's current one when downloaded, so two checks that
 * race (an overwrite while the previous upload is still being checked, two hosts) leave the row of
 * the newest version. What the user got wrong makes an {@code Invalid} entry with its reasons;
 * what storage got wrong (a timeout, a 503) is thrown, so that the trigger tries again.
 */
public final class AcceleratedModels {
  /** The model file of every catalog entry. */
  public static final String MODEL_FILE = AcceleratedCatalog.MODEL_FILE;

  private static final Logger LOG = Logger.getLogger(AcceleratedModels.class.getName());
  /** Rounds of check-and-write before giving up on an entry that keeps changing underneath (the trigger retries). */
  private static final int MAX_ROUNDS = 5;
  private static final Comparator<CatalogEntry> ORDER = Comparator
      .comparing(CatalogEntry::ref, NaturalOrder.INSTANCE)
      .thenComparing(CatalogEntry::version, NaturalOrder.INSTANCE);
  private static final String NAME_RULE = "use letters, digits, '.', '_' and '-', starting with a letter or digit,"
      + " at most 128 characters";

  private final BlobContainerClient container;
  private final TableClient table;
  private final ModelCache cache;
  private final Clock clock;

  /** A model version as downloaded: its content's SHA-256 and size. */
  private record Downloaded(String sha256, long size) {}

  /** A {@code model.json} as read: its ETag (null when there is none) and what it says. */
  private record Notes(String etag, ModelNotes.Parsed parsed) {}

  /** A row as read, with the table's ETag that a conditional replace needs. */
  private record Stored(CatalogEntry entry, String rowEtag) {}

  /**
   * A catalog over {@code storage}'s {@code accelerated-models} container and {@code acceleratedmodels}
   * table (which must exist: {@link Storage#ensureLayout()}), copying models into {@code cacheDir}.
   */
  public AcceleratedModels(Storage storage, Path cacheDir) {
    this(storage, cacheDir, Clock.systemUTC());
  }

  AcceleratedModels(Storage storage, Path cacheDir, Clock clock) {
    this.container = storage.container(StorageLayout.ACCELERATED_MODELS);
    this.table = storage.table(StorageLayout.ACCELERATED_MODELS_TABLE);
    this.cache = new ModelCache(cacheDir);
    this.clock = clock;
  }

  /**
   * The default cache directory of a storage account: one per blob endpoint, so that two apps on
   * one machine over different accounts (or Azurites) never serve each other's models.
   */
  public static Path defaultCacheDir(Storage storage) {
    String account = sha256Hex(storage.blobEndpoint().getBytes(StandardCharsets.UTF_8)).substring(0, 16);
    return Path.of(System.getProperty("java.io.tmpdir"), "realtime-ai", "catalog", account);
  }

  /** The directory {@link #materialize} fills. */
  public Path cacheDir() {
    return cache.root();
  }

  /**
   * Checks the {@code model.onnx} of {@code ref/version} (what its blob trigger calls) and records
   * the outcome: {@code Valid} with the model's inputs and outputs, or {@code Invalid} with every
   * reason (a name the catalog cannot hold, a file ONNX Runtime cannot load, not exactly one input,
   * no output, a malformed {@code model.json}, a tensor {@code model.json} names that is not there).
   *
   * @param etag the blob version to check, as the trigger saw it; null to check the current one.
   *     When that version has been overwritten meanwhile, the current one is checked instead.
   * @return the entry now recorded; empty when the blob is gone before it could be checked (deleted), in
   *     which case the row of an earlier version is removed
   * @throws RuntimeException from storage (timeouts, throttling …), so that the trigger retries
   */
  public Optional<CatalogEntry> onModelBlob(String ref, String version, String etag) {
    BlobClient model = container.getBlobClient(blobName(ref, version, MODEL_FILE));
    String wanted = etag == null || etag.isBlank() ? null : quoted(etag);
    for (int round = 0; round < MAX_ROUNDS; round++) {
      Optional<Stored> stored = read(ref, version);
      if (wanted == null) {
        Optional<String> current = currentEtag(model);
        if (current.isEmpty()) {
          stored.ifPresent(this::forget);
          return Optional.empty();
        }
        wanted = current.get();
      }
      Notes notes = readNotes(ref, version);
      if (stored.isPresent() && wanted.equals(stored.get().entry().etag())
          && Objects.equals(notes.etag(), stored.get().entry().modelJsonEtag())) {
        return Optional.of(stored.get().entry());
      }
      Optional<CatalogEntry> checked = check(ref, version, model, wanted, notes);
      if (checked.isEmpty()) {
        // That version was overwritten or deleted after the trigger saw it: look at what is there now.
        wanted = null;
        continue;
      }
      if (write(stored, checked.get())) {
        CatalogEntry entry = checked.get();
        LOG.info(() -> "accelerated model " + entry.refVersion() + " (ETag " + entry.etag() + ") is "
            + entry.state().label() + (entry.valid() ? "" : ": " + String.join("; ", entry.reasons())));
        return checked;
      }
      // Another check wrote the row first: read it again and settle which version is newer.
    }
    throw new IllegalStateException("accelerated model " + ref + "/" + version + " kept changing while it was"
        + " being checked (" + MAX_ROUNDS + " rounds); it is checked again on the next attempt");
  }

  /**
   * Checks {@code ref/version} again because its {@code model.json} changed (what that file's blob
   * trigger calls), so the order in which the two files are dropped does not matter.
   *
   * @return the entry now recorded; empty when there is no {@code model.onnx} yet (its own trigger reads the notes)
   */
  public Optional<CatalogEntry> onModelJsonBlob(String ref, String version) {
    BlobClient model = container.getBlobClient(blobName(ref, version, MODEL_FILE));
    Optional<String> current = currentEtag(model);
    return current.isEmpty() ? Optional.empty() : onModelBlob(ref, version, current.get());
  }

  /** Every entry, valid or not, by model_ref then model_version (numbers by value: version 2 before 10). */
  public List<CatalogEntry> list() {
    List<CatalogEntry> entries = new ArrayList<>();
    for (TableEntity row : table.listEntities()) {
      entries.add(CatalogRows.fromRow(row));
    }
    entries.sort(ORDER);
    return entries;
  }

  /** The entry of {@code ref/version}, when the catalog has one. */
  public Optional<CatalogEntry> find(String ref, String version) {
    return read(ref, version).map(Stored::entry);
  }

  /**
   * Copies the valid entries among {@code refVersions} ({@code "ref/version"}, as
   * {@code ModelPackage.acceleratedModels} lists them) into the cache directory, each downloaded
   * once per content, and answers the catalog a pipeline loads them from. Entries that are missing,
   * invalid, or changing at this moment are left out (and removed from the cache), so that
   * {@code Pipeline.validate} reports each as not in the accelerated model catalog.
   *
   * @throws RuntimeException from storage or the local disk, so that the caller's trigger retries
   */
  public AcceleratedCatalog materialize(Collection<String> refVersions) {
    try {
      for (String refVersion : new TreeSet<>(refVersions)) {
        int slash = refVersion.indexOf('/');
        String ref = slash < 0 ? refVersion : refVersion.substring(0, slash);
        String version = slash < 0 ? "" : refVersion.substring(slash + 1);
        // Only names that can be folders are looked at, so nothing outside the cache is ever touched.
        if (!AcceleratedCatalog.isValidName(ref) || !AcceleratedCatalog.isValidName(version)) {
          continue;
        }
        Optional<CatalogEntry> entry = find(ref, version);
        if (entry.isEmpty() || !entry.get().valid()) {
          cache.evict(ref, version);
          continue;
        }
        CatalogEntry valid = entry.get();
        BlobClient model = container.getBlobClient(blobName(ref, version, MODEL_FILE));
        boolean copied = cache.ensure(ref, version, valid.sha256(),
            file -> download(model, valid.etag(), file).map(Downloaded::sha256));
        if (!copied) {
          LOG.info(() -> "accelerated model " + refVersion + " changed since it was checked (ETag " + valid.etag()
              + "); it is left out until its new version has been checked");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy accelerated models into " + cache.root() + ": " + e.getMessage(), e);
    }
    return new AcceleratedCatalog(cache.root(), "the " + StorageLayout.ACCELERATED_MODELS + " container");
  }

  /** Downloads and inspects one model version; empty when that version is no longer the blob's current one. */
  private Optional<CatalogEntry> check(String ref, String version, BlobClient model, String etag, Notes notes) {
    Path file;
    try {
      file = cache.incomingFile();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make a file to check " + ref + "/" + version + " in: " + e.getMessage(), e);
    }
    try {
      Optional<Downloaded> downloaded = download(model, etag, file);
      if (downloaded.isEmpty()) {
        return Optional.empty();
      }
      List<String> reasons = new ArrayList<>();
      if (!AcceleratedCatalog.isValidName(ref)) {
        reasons.add("model_ref '" + ref + "' is not a valid catalog name: " + NAME_RULE);
      }
      if (!AcceleratedCatalog.isValidName(version)) {
        reasons.add("model_version '" + version + "' is not a valid catalog name: " + NAME_RULE);
      }
      reasons.addAll(notes.parsed().problems());
      ModelNotes modelNotes = notes.parsed().notes();
      ModelInspector.Inspection inspection = ModelInspector.inspect(file, modelNotes);
      reasons.addAll(inspection.problems());
      return Optional.of(new CatalogEntry(ref, version,
          reasons.isEmpty() ? CatalogEntry.State.VALID : CatalogEntry.State.INVALID,
          inspection.inputs(), inspection.outputs(), downloaded.get().sha256(), downloaded.get().size(),
          modelNotes.description(), modelNotes.preprocessing(), reasons,
          clock.instant().truncatedTo(ChronoUnit.MILLIS), etag, notes.etag()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + ref + "/" + version + ": " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        LOG.warning(() -> "could not delete " + file + ": " + e.getMessage());
      }
    }
  }

  /**
   * Streams one blob version into {@code file} (never whole in memory: a featurizer is a hundred
   * megabytes), hashing it on the way; empty when that version is gone (412: overwritten; 404: deleted).
   */
  private static Optional<Downloaded> download(BlobClient blob, String etag, Path file) throws IOException {
    MessageDigest sha256 = sha256();
    try (OutputStream out = new DigestOutputStream(Files.newOutputStream(file), sha256)) {
      // If-Match: the bytes must be the version that was checked (or is being checked), not a newer upload.
      blob.downloadStreamWithResponse(out, null, null, new BlobRequestConditions().setIfMatch(etag), false, null,
          Context.NONE);
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 404 || e.getStatusCode() == 412) {
        return Optional.empty();
      }
      throw e;
    }
    return Optional.of(new Downloaded(HexFormat.of().formatHex(sha256.digest()), Files.size(file)));
  }

  /** The {@code model.json} of {@code ref/version}, with the ETag of the version read. */
  private Notes readNotes(String ref, String version) {
    BlobClient blob = container.getBlobClient(blobName(ref, version, ModelNotes.FILE));
    for (int round = 0; round < MAX_ROUNDS; round++) {
      BlobProperties properties;
      try {
        properties = blob.getProperties();
      } catch (BlobStorageException e) {
        if (e.getStatusCode() == 404) {
          return new Notes(null, new ModelNotes.Parsed(ModelNotes.NONE, List.of()));
        }
        throw e;
      }
      String etag = quoted(properties.getETag());
      if (properties.getBlobSize() > ModelNotes.MAX_BYTES) {
        return new Notes(etag, ModelNotes.tooLarge());
      }
      try {
        byte[] content = blob.downloadContentWithResponse(null, new BlobRequestConditions().setIfMatch(etag), null,
            Context.NONE).getValue().toBytes();
        return new Notes(etag, ModelNotes.parse(content));
      } catch (BlobStorageException e) {
        if (e.getStatusCode() != 404 && e.getStatusCode() != 412) {
          throw e;
        }
        // Replaced or deleted between the two calls: read it again.
      }
    }
    throw new IllegalStateException(blobName(ref, version, ModelNotes.FILE) + " kept changing while it was read");
  }

  private Optional<String> currentEtag(BlobClient blob) {
    try {
      return Optional.of(quoted(blob.getProperties().getETag()));
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private Optional<Stored> read(String ref, String version) {
    try {
      TableEntity row = table.getEntityWithResponse(CatalogRows.key(ref), CatalogRows.key(version), null, null,
          Context.NONE).getValue();
      return Optional.of(new Stored(CatalogRows.fromRow(row), row.getETag()));
    } catch (TableServiceException e) {
      if (status(e) == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** Writes an entry's row on the condition that the row is still as read; false when another writer came first. */
  private boolean write(Optional<Stored> stored, CatalogEntry entry) {
    TableEntity row = CatalogRows.toRow(entry);
    try {
      if (stored.isEmpty()) {
        table.createEntity(row);
      } else {
        row.addProperty("odata.etag", stored.get().rowEtag());
        table.updateEntityWithResponse(row, TableEntityUpdateMode.REPLACE, true, null,
            Context.NONE);
      }
      return true;
    } catch (TableServiceException e) {
      int status = status(e);
      if (status == 409 || status == 412 || status == 404) {
        return false;
      }
      throw e;
    }
  }

  /** Removes the row of a model whose blob is gone, unless it changed since it was read (a new upload's row). */
  private void forget(Stored stored) {
    TableEntity row = new TableEntity(CatalogRows.key(stored.entry().ref()), CatalogRows.key(stored.entry().version()))
        .addProperty("odata.etag", stored.rowEtag());
    try {
      table.deleteEntityWithResponse(row, true, null, Context.NONE);
      LOG.info(() -> "accelerated model " + stored.entry().refVersion() + " was deleted: removed from the catalog");
    } catch (TableServiceException e) {
      int status = status(e);
      if (status != 404 && status != 412) {
        throw e;
      }
    }
  }

  private static int status(TableServiceException e) {
    return e.getResponse() == null ? 0 : e.getResponse().getStatusCode();
  }

  private static String blobName(String ref, String version, String file) {
    return ref + "/" + version + "/" + file;
  }

  /** An ETag in its quoted wire form (If-Match wants it so), whichever form it was given in. */
  static String quoted(String etag) {
    return etag.startsWith("\"") ? etag : "\"" + etag + "\"";
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private static String sha256Hex(byte[] bytes) {
    return HexFormat.of().formatHex(sha256().digest(bytes));
  }
}
