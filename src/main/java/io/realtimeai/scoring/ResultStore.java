package io.realtimeai.scoring;

import com.azure.core.http.rest.PagedResponse;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.models.ListEntitiesOptions;
import com.azure.data.tables.models.TableEntity;
import com.azure.data.tables.models.TableEntityUpdateMode;
import com.azure.data.tables.models.TableServiceException;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.realtimeai.client.Prediction;
import io.realtimeai.error.NotFoundException;
import io.realtimeai.events.EventOutbox;
import io.realtimeai.events.EventType;
import io.realtimeai.events.Subjects;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.storage.TableBatcher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * Persisted results: one JSON document per image in {@code results/{service}/{path}.json}, a row
 * per image in the {@code results} table (partition the service, row the path), and an
 * {@code ImageScored} or {@code ImageScoringFailed} event — exactly one of each per image version.
 * The row is claimed first, conditionally, by the image's ETag; a step re-run after a crash finds
 * its row and makes the document and the event good (their ids are derived from the same
 * version, so rewriting them changes nothing); an overwritten image is a new version and gets
 * a new result.
 */
public final class ResultStore {
  // Writes a caller waits for, beside the one on its own thread: as many as callers (the HTTP host bounds them).
  private static final ExecutorService WRITERS = Executors.newCachedThreadPool(r -> {
    Thread thread = new Thread(r, "result-writer");
    thread.setDaemon(true);
    return thread;
  });
  private static final ObjectMapper JSON = JsonMapper.builder().addModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).build();

  private final Storage storage;
  private final TableClient table;
  private final TableBatcher creations;
  private final EventOutbox events;

  public ResultStore(Storage storage, EventOutbox events) {
    this(storage, storage.table(StorageLayout.RESULTS_TABLE), events);
  }

  /** The store with its rows in {@code table}, the results table of {@code storage} (tests pass a client of their own). */
  ResultStore(Storage storage, TableClient table, EventOutbox events) {
    this.storage = storage;
    this.table = table;
    this.creations = new TableBatcher(table);
    this.events = events;
  }

  /**
   * A row of the result index.
   *
   * @param service the service
   * @param path the image path
   * @param etag the image version scored
   * @param resultId the result's id
   * @param status {@code Scored} or {@code Failed}
   * @param scoredAt when
   * @param modelId the model version
   * @param label the top label of the first image, when scored
   * @param confidence its confidence
   * @param error why it failed, when it failed
   * @param document where the document is ({@code results/{service}/{path}.json})
   */
  public record Row(String service, String path, String etag, String resultId, String status, Instant scoredAt,
      String modelId, String label, Double confidence, String error, String document) {}

  /**
   * One page of rows.
   *
   * @param value the rows, by path
   * @param continuation where the next page starts, or null
   */
  public record Page(List<Row> value, String continuation) {}

  /** The id every result of one image version gets, wherever and however often it is scored. */
  public static String resultId(String service, String path, String etag) {
    return UUID.nameUUIDFromBytes((service + "\n" + path + "\n" + etag).getBytes(StandardCharsets.UTF_8)).toString();
  }

  /** True when this image version has a result row already. */
  public boolean has(String service, String path, String etag) {
    return entity(service, path).map(e -> etag.equals(e.getProperty("Etag"))).orElse(false);
  }

  /**
   * True when this image version's result is recorded whole: its row and its document, and its event, recorded again
   * here (a no-op when it was) in case the run that wrote them stopped before. False for a row whose run stopped
   * before its document: that result is not complete, and only a run with an answer can complete it.
   */
  public boolean settled(String service, String path, String etag) {
    if (!has(service, path, etag)) {
      return false;
    }
    Optional<ScoreResult> stored = find(service, path).filter(document -> document.etag().equals(etag));
    stored.ifPresent(this::announce);
    return stored.isPresent();
  }

  /**
   * Records a result unless its image version has one, and answers the result that stands for
   * that version. Writes the row, then the document, then the event, each safe to write again; a
   * version's result is whole once its document is written, and a row without its document (a run
   * that stopped between the two) is replaced by the next run's answer.
   * Empty, with nothing written, when {@code current} says the version is no longer the image's
   * (it was overwritten or deleted while it was scored: its successor's result must stand);
   * asked before the first write, and again before a row of another version is replaced.
   */
  public Optional<ScoreResult> record(ScoreResult result, BooleanSupplier current) {
    if (!current.getAsBoolean()) {
      return Optional.empty();
    }
    // Most images are new: their row is created without being looked up first, in one transaction with the
    // rows other jobs create at the same moment (the images of one Predict batch finish together).
    try {
      creations.create(List.of(row(result)));
    } catch (TableServiceException e) {
      if (e.getResponse().getStatusCode() != 409) {
        throw e;
      }
      return recordOver(result, current);
    }
    Optional<ScoreResult> stands = writeDocument(result, true);
    stands.ifPresent(this::announce);
    return stands;
  }

  /** {@link #record} where the image's row exists: this version's (whole, or not yet), or another's. */
  private Optional<ScoreResult> recordOver(ScoreResult result, BooleanSupplier current) {
    for (int attempt = 0; attempt < 10; attempt++) {
      Optional<TableEntity> existing = entity(result.service(), result.path());
      boolean sameVersion = existing.isPresent() && result.etag().equals(existing.get().getProperty("Etag"));
      if (sameVersion) {
        Optional<ScoreResult> stored = find(result.service(), result.path())
            .filter(document -> document.etag().equals(result.etag()));
        if (stored.isPresent()) {
          // Recorded whole before (maybe by a run that stopped before its event): what was recorded stands and is
          // what is announced, even where this run's answer differs.
          announce(stored.get());
          return stored;
        }
        // A run wrote the row and stopped before the document, so before the event: its answer was never complete.
        // This run's answer replaces the row and is written whole, so that row, document and event tell one answer.
      }
      TableEntity row = row(result);
      try {
        if (sameVersion) {
          row.addProperty("odata.etag", existing.get().getETag());
          table.updateEntityWithResponse(row, TableEntityUpdateMode.REPLACE, true, null, Context.NONE);
        } else if (existing.isEmpty()) {
          table.createEntity(row);
        } else if (!current.getAsBoolean()) {
          return Optional.empty();
        } else {
          row.addProperty("odata.etag", existing.get().getETag());
          table.updateEntityWithResponse(row, TableEntityUpdateMode.REPLACE, true, null, Context.NONE);
        }
      } catch (TableServiceException e) {
        int code = e.getResponse().getStatusCode();
        // 404: the row read was deleted meanwhile (its retention ran out), and the next round creates it.
        if (code == 409 || code == 412 || code == 404) {
          continue;
        }
        throw e;
      }
      Optional<ScoreResult> stands = writeDocument(result, false);
      stands.ifPresent(this::announce);
      return stands;
    }
    throw new IllegalStateException("the result of " + result.service() + "/" + result.path() + " kept changing; it will be recorded again");
  }

  /**
   * Records the result of an image that cannot have one yet (an HTTP request's, under its own new
   * id): no row to look up first, and the row and the document written at once, so that a caller
   * waiting for the answer waits for the slower of the two writes rather than their sum; the event
   * follows, once both are there.
   */
  public ScoreResult recordNew(ScoreResult result) {
    CompletableFuture<Void> document =
        CompletableFuture.runAsync(() -> upload(result, null), WRITERS);
    table.createEntity(row(result));
    try {
      document.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException cause ? cause : e;
    }
    announce(result);
    return result;
  }

  /** The stored result document of an image. */
  public Optional<ScoreResult> find(String service, String path) {
    BlobClient blob = document(service, path);
    if (!blob.exists()) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readValue(blob.downloadContent().toBytes(), ScoreResult.class));
    } catch (IOException e) {
      throw new IllegalStateException("unreadable result document " + blob.getBlobName(), e);
    }
  }

  /** The result of an image, or 404. */
  public ScoreResult get(String service, String path) {
    return find(service, path).orElseThrow(() -> new NotFoundException("no result for image '" + path + "' of service '"
        + service + "' (results are written once the image has been scored)"));
  }

  /** The index rows of a service, by path, scored at or after {@code since}, {@code top} at a time. */
  public Page list(String service, Instant since, int top, String continuation) {
    StringBuilder filter = new StringBuilder("PartitionKey eq '").append(service.replace("'", "''")).append("'");
    if (since != null) {
      // Table Storage keeps seven fractional digits at most: microseconds, rounded down, lose no row.
      filter.append(" and ScoredAt ge datetime'").append(since.truncatedTo(ChronoUnit.MICROS)).append("'");
    }
    Iterator<PagedResponse<TableEntity>> pages = table.listEntities(new ListEntitiesOptions().setFilter(filter.toString())
        .setTop(top), null, null).iterableByPage(continuation).iterator();
    if (!pages.hasNext()) {
      return new Page(List.of(), null);
    }
    PagedResponse<TableEntity> page = pages.next();
    List<Row> rows = new ArrayList<>();
    page.getValue().forEach(e -> rows.add(rowOf(e)));
    return new Page(rows, page.getContinuationToken());
  }

  /**
   * Deletes up to {@code limit} results scored before {@code before}, in every service: each one's document, then its
   * row. The document goes only while it holds the version the row names, and the row only while it is as read, so an
   * image scored again meanwhile keeps its new result whole. A crash between the two leaves a row whose document is
   * gone, which the next call deletes.
   *
   * @return how many results were deleted
   */
  public int expire(Instant before, int limit) {
    String filter = "ScoredAt lt datetime'" + before.truncatedTo(ChronoUnit.MICROS) + "'";
    int expired = 0;
    for (TableEntity entity : table.listEntities(new ListEntitiesOptions().setFilter(filter).setTop(Math.min(limit, 1000)),
        null, null)) {
      if (expired >= limit) {
        break;
      }
      Row row = rowOf(entity);
      deleteDocument(row, before);
      try {
        table.deleteEntityWithResponse(entity, true, null, Context.NONE);
        expired++;
      } catch (TableServiceException e) {
        if (e.getResponse() == null || e.getResponse().getStatusCode() != 404 && e.getResponse().getStatusCode() != 412) {
          throw e;
        }
      }
    }
    return expired;
  }

  /**
   * Deletes the document of an expiring row while it holds that row's version as scored before the cutoff: not one
   * another run of the same version (a retry of a run that stopped before its document) wrote since, nor another
   * version's.
   */
  private void deleteDocument(Row row, Instant before) {
    BlobClient blob = document(row.service(), row.path());
    try {
      var stored = blob.downloadContentWithResponse(null, null, null, Context.NONE);
      try {
        ScoreResult document = JSON.readValue(stored.getValue().toBytes(), ScoreResult.class);
        if (!Objects.equals(document.etag(), row.etag()) || document.scoredAt() == null
            || !document.scoredAt().isBefore(before)) {
          return;
        }
      } catch (IOException e) {
        // Unreadable: it holds no result, and goes with the row.
      }
      blob.deleteWithResponse(null, new BlobRequestConditions().setIfMatch(stored.getDeserializedHeaders().getETag()),
          null, Context.NONE);
    } catch (BlobStorageException e) {
      if (e.getStatusCode() != 404 && e.getStatusCode() != 412) {
        throw e;
      }
    }
  }

  /**
   * Writes a result's document while its row names its version, and answers the result that stands: this one, the
   * document another run wrote for the same version (kept, so that one run's answer is the document), or none, writing
   * nothing, once the row names another version (the image was overwritten, and the newer version's result stands).
   * The write is conditional on the document as read before the row, so a late write of an older version cannot land
   * over a newer one's document. A new image's document ({@code fresh}: its row was just created) is written if none
   * exists, with no request more than the write.
   */
  Optional<ScoreResult> writeDocument(ScoreResult result, boolean fresh) {
    if (fresh) {
      try {
        upload(result, new BlobRequestConditions().setIfNoneMatch("*"));
        return Optional.of(result);
      } catch (BlobStorageException e) {
        if (!isConflict(e)) {
          throw e;
        }
      }
    }
    BlobClient blob = document(result.service(), result.path());
    for (int attempt = 0; attempt < 10; attempt++) {
      String etag = null;
      try {
        var stored = blob.downloadContentWithResponse(null, null, null, Context.NONE);
        etag = stored.getDeserializedHeaders().getETag();
        ScoreResult document = JSON.readValue(stored.getValue().toBytes(), ScoreResult.class);
        if (document.etag().equals(result.etag())) {
          keepRowOf(document);
          return Optional.of(document);
        }
      } catch (BlobStorageException e) {
        if (e.getStatusCode() != 404) {
          throw e;
        }
      } catch (IOException e) {
        // Unreadable: replaced below like any other version's document, if the row names this one.
      }
      Optional<TableEntity> row = entity(result.service(), result.path());
      if (row.isEmpty() || !result.etag().equals(row.get().getProperty("Etag"))) {
        return Optional.empty();
      }
      try {
        upload(result, etag == null ? new BlobRequestConditions().setIfNoneMatch("*")
            : new BlobRequestConditions().setIfMatch(etag));
        return Optional.of(result);
      } catch (BlobStorageException e) {
        if (!isConflict(e)) {
          throw e;
        }
      }
    }
    throw new IllegalStateException("the result document of " + result.service() + "/" + result.path()
        + " kept changing; it will be written again");
  }

  /**
   * Makes the row of a kept document's version tell that document's answer: another run of the version may have
   * replaced the row with its own before this one's document was kept. Conditional: a row changed meanwhile (another
   * version's) is left as it is.
   */
  private void keepRowOf(ScoreResult document) {
    Optional<TableEntity> row = entity(document.service(), document.path());
    if (row.isEmpty() || !document.etag().equals(row.get().getProperty("Etag"))) {
      return;
    }
    Instant rowScoredAt = rowOf(row.get()).scoredAt();
    if (rowScoredAt != null && document.scoredAt() != null
        && rowScoredAt.truncatedTo(ChronoUnit.MICROS).equals(document.scoredAt().truncatedTo(ChronoUnit.MICROS))) {
      return;
    }
    TableEntity kept = row(document);
    kept.addProperty("odata.etag", row.get().getETag());
    try {
      table.updateEntityWithResponse(kept, TableEntityUpdateMode.REPLACE, true, null, Context.NONE);
    } catch (TableServiceException e) {
      // 404: deleted meanwhile by the retention, which leaves nothing to correct.
      if (e.getResponse().getStatusCode() != 412 && e.getResponse().getStatusCode() != 404) {
        throw e;
      }
    }
  }

  private void upload(ScoreResult result, BlobRequestConditions conditions) {
    document(result.service(), result.path()).uploadWithResponse(new BlobParallelUploadOptions(BinaryData.fromBytes(json(result)))
        .setHeaders(new BlobHttpHeaders().setContentType("application/json")).setRequestConditions(conditions),
        null, Context.NONE);
  }

  /** The document was written meanwhile: it exists where none was expected (409), or changed since it was read (412). */
  private static boolean isConflict(BlobStorageException e) {
    return BlobErrorCode.BLOB_ALREADY_EXISTS.equals(e.getErrorCode()) || BlobErrorCode.CONDITION_NOT_MET.equals(e.getErrorCode());
  }

  private void announce(ScoreResult result) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("resultId", result.id());
    data.put("service", result.service());
    data.put("modelId", result.modelId());
    data.put("path", result.path());
    data.put("etag", result.etag());
    data.put("result", StorageLayout.RESULTS + "/" + documentName(result.service(), result.path()));
    if (result.traceId() != null) {
      data.put("traceId", result.traceId());
    }
    if (result.scored() && result.predictions() != null && !result.predictions().get(0).isEmpty()) {
      Prediction top = result.predictions().get(0).get(0);
      data.put("label", top.label());
      data.put("confidence", top.confidence());
    }
    if (!result.scored()) {
      data.put("error", result.error());
    }
    events.record(result.scored() ? EventType.IMAGE_SCORED : EventType.IMAGE_SCORING_FAILED,
        Subjects.image(result.service(), result.path()), data, result.service() + ":" + result.path() + ":" + result.etag());
  }

  private TableEntity row(ScoreResult result) {
    TableEntity row = new TableEntity(result.service(), rowKey(result.path()))
        .addProperty("Path", result.path())
        .addProperty("Etag", result.etag())
        .addProperty("ResultId", result.id())
        .addProperty("Status", result.status())
        .addProperty("ScoredAt", OffsetDateTime.ofInstant(result.scoredAt(), ZoneOffset.UTC))
        .addProperty("ModelId", result.modelId())
        .addProperty("Document", StorageLayout.RESULTS + "/" + documentName(result.service(), result.path()));
    if (result.scored() && result.predictions() != null && !result.predictions().get(0).isEmpty()) {
      Prediction top = result.predictions().get(0).get(0);
      row.addProperty("Label", top.label()).addProperty("Confidence", (double) top.confidence());
    }
    if (result.error() != null) {
      row.addProperty("Error", result.error().message());
    }
    return row;
  }

  private static Row rowOf(TableEntity e) {
    Object scoredAt = e.getProperty("ScoredAt");
    Instant at = scoredAt instanceof OffsetDateTime time ? time.toInstant() : scoredAt == null ? null : Instant.parse(scoredAt.toString());
    Object confidence = e.getProperty("Confidence");
    return new Row(e.getPartitionKey(), (String) e.getProperty("Path"), (String) e.getProperty("Etag"),
        (String) e.getProperty("ResultId"), (String) e.getProperty("Status"), at, (String) e.getProperty("ModelId"),
        (String) e.getProperty("Label"), confidence == null ? null : ((Number) confidence).doubleValue(),
        (String) e.getProperty("Error"), (String) e.getProperty("Document"));
  }

  private Optional<TableEntity> entity(String service, String path) {
    return table.listEntities(new ListEntitiesOptions().setFilter("PartitionKey eq '" + service.replace("'", "''")
        + "' and RowKey eq '" + rowKey(path).replace("'", "''") + "'"), null, null).stream().findFirst();
  }

  private BlobClient document(String service, String path) {
    return storage.container(StorageLayout.RESULTS).getBlobClient(documentName(service, path));
  }

  private static String documentName(String service, String path) {
    return service + "/" + path + ".json";
  }

  /** Table keys may not hold '/', '\', '#', '?' or control characters: those (and '%') are percent-encoded. */
  static String rowKey(String path) {
    StringBuilder key = new StringBuilder();
    for (char c : path.toCharArray()) {
      if (c == '%' || c == '/' || c == '\\' || c == '#' || c == '?' || Character.isISOControl(c)) {
        key.append('%').append(String.format("%02X", (int) c));
      } else {
        key.append(c);
      }
    }
    return key.toString();
  }

  private static byte[] json(ScoreResult result) {
    try {
      return JSON.writeValueAsBytes(result);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
