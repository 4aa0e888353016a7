package io.realtimeai.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.http.HttpMethod;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.models.TableEntity;
import com.azure.data.tables.models.TableEntityUpdateMode;
import com.azure.storage.blob.models.BlobStorageException;
import io.realtimeai.client.Prediction;
import io.realtimeai.events.EventOutbox;
import io.realtimeai.events.Subjects;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.BeforeRequest;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Results on a real Azurite: one per image version, what was recorded first stands, and a stale version records nothing. */
@Tag("integration")
class ResultStoreTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();

  EventOutbox events;
  ResultStore results;
  Storage storage;

  @BeforeEach
  void setUp() {
    storage = azurite.storage().ensureLayout();
    events = new EventOutbox(storage);
    results = new ResultStore(storage, events);
  }

  private static ScoreResult scored(String service, String etag, String label) {
    return new ScoreResult(ResultStore.resultId(service, "cat.jpg", etag), service, "tiny:1", "cat.jpg", etag,
        Instant.now(), "Scored", List.of(List.of(new Prediction(3, label, 0.9f))), null, null,
        new ScoreResult.Timings(2.0, 1.0));
  }

  private long announced(String service) {
    return events.list(null, 1000, null).events().stream()
        .filter(e -> e.event().subject().equals(Subjects.image(service, "cat.jpg"))).count();
  }

  private static ScoreResult failed(String service, String etag) {
    return new ScoreResult(ResultStore.resultId(service, "cat.jpg", etag), service, null, "cat.jpg", etag,
        Instant.now(), "Failed", null, null, new ScoreResult.Failure("NotFound", "service '" + service + "' does not exist"),
        new ScoreResult.Timings(2.0, 0));
  }

  private List<String> announcedTypes(String service) {
    return events.list(null, 1000, null).events().stream()
        .filter(e -> e.event().subject().equals(Subjects.image(service, "cat.jpg"))).map(e -> e.event().eventType()).toList();
  }

  @Test
  void sameVersionRecordedTwice_keepsOneResultAndOneEvent() {
    Optional<ScoreResult> first = results.record(scored("twice", "\"v1\"", "tabby"), () -> true);
    Optional<ScoreResult> again = results.record(scored("twice", "\"v1\"", "tiger"), () -> true);

    assertThat(first).get().extracting(r -> r.predictions().get(0).get(0).label()).isEqualTo("tabby");
    assertThat(again).get().extracting(r -> r.predictions().get(0).get(0).label()).isEqualTo("tabby");
    assertThat(results.get("twice", "cat.jpg").predictions().get(0).get(0).label()).isEqualTo("tabby");
    assertThat(announced("twice")).isEqualTo(1);
  }

  @Test
  void sameVersionAnsweredDifferentlyTheSecondTime_keepsAndAnnouncesTheFirstAnswer() {
    // Dropped before its service existed (Failed), then delivered again once it did (Scored).
    results.record(failed("answers", "\"v1\""), () -> true);

    Optional<ScoreResult> again = results.record(scored("answers", "\"v1\"", "tabby"), () -> true);

    assertThat(again).get().extracting(ScoreResult::status).isEqualTo("Failed");
    assertThat(results.get("answers", "cat.jpg").status()).isEqualTo("Failed");
    assertThat(announcedTypes("answers")).containsExactly("RealtimeAI.ImageScoringFailed");
  }

  @Test
  void versionNoLongerCurrent_recordsNothing() {
    Optional<ScoreResult> stale = results.record(scored("gone", "\"v1\"", "tabby"), () -> false);

    assertThat(stale).isEmpty();
    assertThat(results.find("gone", "cat.jpg")).isEmpty();
    assertThat(results.has("gone", "cat.jpg", "\"v1\"")).isFalse();
    assertThat(announced("gone")).isZero();
  }

  @Test
  void staleVersion_doesNotReplaceItsSuccessorsResult() {
    results.record(scored("stale", "\"v2\"", "tabby"), () -> true);
    // Current when scoring began, overwritten by the time its row is found taken.
    AtomicInteger asked = new AtomicInteger();

    Optional<ScoreResult> stale = results.record(scored("stale", "\"v1\"", "tiger"), () -> asked.incrementAndGet() == 1);

    assertThat(stale).isEmpty();
    assertThat(asked).as("asked before the first write and before replacing a row").hasValue(2);
    assertThat(results.get("stale", "cat.jpg").etag()).isEqualTo("\"v2\"");
    assertThat(results.has("stale", "cat.jpg", "\"v2\"")).isTrue();
    assertThat(announced("stale")).isEqualTo(1);
  }

  @Test
  void newerVersion_replacesTheResultBeforeIt() {
    results.record(scored("newer", "\"v1\"", "tabby"), () -> true);

    Optional<ScoreResult> newer = results.record(scored("newer", "\"v2\"", "tiger"), () -> true);

    assertThat(newer).get().extracting(ScoreResult::etag).isEqualTo("\"v2\"");
    assertThat(results.get("newer", "cat.jpg").predictions().get(0).get(0).label()).isEqualTo("tiger");
    assertThat(results.has("newer", "cat.jpg", "\"v2\"")).isTrue();
    assertThat(announced("newer")).isEqualTo(2);
  }

  /**
   * Records {@code result} as a run that stops between its row and its document does: the document's place is held
   * by a leased blob, so the upload fails after the row is written; then the place is cleared.
   */
  private void recordRowOnly(ScoreResult result) {
    var document = storage.container(StorageLayout.RESULTS).getBlobClient(result.service() + "/cat.jpg.json");
    document.upload(com.azure.core.util.BinaryData.fromString(""), true);
    var lease = new com.azure.storage.blob.specialized.BlobLeaseClientBuilder().blobClient(document).buildClient();
    lease.acquireLease(-1);
    assertThatThrownBy(() -> results.record(result, () -> true)).isInstanceOf(BlobStorageException.class);
    lease.breakLease();
    document.delete();
    assertThat(results.has(result.service(), "cat.jpg", result.etag())).as("the row was written").isTrue();
  }

  @Test
  void runStoppedBetweenRowAndDocument_theNextRunRecordsItsAnswerWhole() {
    recordRowOnly(failed("halfway", "\"v1\""));
    assertThat(results.settled("halfway", "cat.jpg", "\"v1\"")).as("a row without its document is not settled").isFalse();
    assertThat(announced("halfway")).isZero();

    Optional<ScoreResult> next = results.record(scored("halfway", "\"v1\"", "tabby"), () -> true);

    assertThat(next).get().extracting(ScoreResult::status).isEqualTo("Scored");
    assertThat(results.get("halfway", "cat.jpg").predictions().get(0).get(0).label()).isEqualTo("tabby");
    assertThat(results.list("halfway", null, 10, null).value()).singleElement()
        .satisfies(row -> assertThat(row.status()).isEqualTo("Scored"));
    assertThat(announcedTypes("halfway")).containsExactly("RealtimeAI.ImageScored");
    assertThat(results.settled("halfway", "cat.jpg", "\"v1\"")).isTrue();
  }

  @Test
  void settledVersion_isAnnouncedOnceHoweverOftenItIsAsked() {
    results.record(scored("asked", "\"v1\"", "tabby"), () -> true);

    assertThat(results.settled("asked", "cat.jpg", "\"v1\"")).isTrue();
    assertThat(results.settled("asked", "cat.jpg", "\"v1\"")).isTrue();
    assertThat(results.settled("asked", "cat.jpg", "\"v2\"")).isFalse();
    assertThat(announced("asked")).isEqualTo(1);
  }

  @Test
  void olderVersionsDocumentWrittenLate_doesNotLandOverTheNewerOnes() {
    // The old version's run created its row, then the image was overwritten and the new version recorded whole before
    // the old run got to its document.
    results.record(scored("late", "\"v2\"", "tiger"), () -> true);

    assertThat(results.writeDocument(scored("late", "\"v1\"", "tabby"), true)).as("the old version's write").isEmpty();
    assertThat(results.writeDocument(scored("late", "\"v1\"", "tabby"), false)).isEmpty();

    ScoreResult document = results.get("late", "cat.jpg");
    assertThat(document.etag()).isEqualTo("\"v2\"");
    assertThat(document.predictions().get(0).get(0).label()).isEqualTo("tiger");
    assertThat(announcedTypes("late")).containsExactly("RealtimeAI.ImageScored");
  }

  @Test
  void documentOfTheRowsVersion_isWrittenOverAnOlderOne_andAnotherRunsOfTheSameVersionIsKept() {
    results.record(scored("over", "\"v1\"", "tabby"), () -> true);
    Optional<ScoreResult> newer = results.record(scored("over", "\"v2\"", "tiger"), () -> true);

    assertThat(newer).get().extracting(ScoreResult::etag).isEqualTo("\"v2\"");
    assertThat(results.get("over", "cat.jpg").etag()).isEqualTo("\"v2\"");
    // A second run of v2 (a redelivery) that gets to its document: the first run's stands, and is what it answers.
    assertThat(results.writeDocument(scored("over", "\"v2\"", "lynx"), true)).get()
        .extracting(r -> r.predictions().get(0).get(0).label()).isEqualTo("tiger");
    assertThat(results.get("over", "cat.jpg").predictions().get(0).get(0).label()).isEqualTo("tiger");
    assertThat(results.list("over", null, 10, null).value()).singleElement()
        .satisfies(row -> assertThat(row.label()).isEqualTo("tiger"));
    assertThat(announcedTypes("over")).containsExactly("RealtimeAI.ImageScored", "RealtimeAI.ImageScored");
  }

  /**
   * v1 of {@code service}'s image recorded whole ("tabby"), then its row replaced by another run of v1 ("lynx", scored
   * later) that has not yet found the document; answers the results table.
   */
  private TableClient recordedThenRowReplacedByAnotherRun(String service) {
    results.record(scored(service, "\"v1\"", "tabby"), () -> true);
    TableClient table = storage.table(StorageLayout.RESULTS_TABLE);
    TableEntity row = table.getEntity(service, "cat.jpg");
    row.addProperty("Label", "lynx").addProperty("ScoredAt", OffsetDateTime.now(ZoneOffset.UTC));
    table.updateEntity(row, TableEntityUpdateMode.REPLACE);
    return table;
  }

  @Test
  void runWhoseDocumentIsKept_leavesTheRowTellingThatDocument() {
    // Run A created the row and wrote its document; run B of the same version replaced the row with its own answer
    // (having found no document yet), then found A's document and kept it: the row follows the document.
    recordedThenRowReplacedByAnotherRun("kept");

    assertThat(results.writeDocument(scored("kept", "\"v1\"", "lynx"), false)).get()
        .extracting(r -> r.predictions().get(0).get(0).label()).isEqualTo("tabby");

    assertThat(results.list("kept", null, 10, null).value()).singleElement()
        .satisfies(r -> assertThat(r.label()).isEqualTo("tabby"));
  }

  @Test
  void newerVersion_whoseOlderRowExpiresAsItIsReplaced_isRecordedWhole() {
    results.record(scored("expiring", "\"v1\"", "tabby"), () -> true);
    var table = storage.table(StorageLayout.RESULTS_TABLE);
    AtomicInteger asked = new AtomicInteger();
    // Asked first before any write, then before v1's row is replaced: the retention deletes that row in between.
    Optional<ScoreResult> newer = results.record(scored("expiring", "\"v2\"", "tiger"), () -> {
      if (asked.incrementAndGet() == 2) {
        table.deleteEntity("expiring", "cat.jpg");
      }
      return true;
    });

    assertThat(asked).hasValue(2);
    assertThat(newer).get().extracting(ScoreResult::etag).isEqualTo("\"v2\"");
    assertThat(results.get("expiring", "cat.jpg").etag()).isEqualTo("\"v2\"");
    assertThat(results.list("expiring", null, 10, null).value()).singleElement()
        .satisfies(row -> assertThat(row.label()).isEqualTo("tiger"));
    assertThat(announcedTypes("expiring")).containsExactly("RealtimeAI.ImageScored", "RealtimeAI.ImageScored");
  }

  @Test
  void runWhoseDocumentIsKept_whileItsRowExpires_answersTheDocumentAndLeavesNoRow() {
    var table = recordedThenRowReplacedByAnotherRun("kept-expiring");
    // The row goes with the retention just before the run corrects it to tell the kept document.
    BeforeRequest retention = new BeforeRequest(HttpMethod.PUT, "RowKey='cat.jpg'",
        () -> table.deleteEntity("kept-expiring", "cat.jpg"));
    ResultStore racing = new ResultStore(storage,
        BeforeRequest.table(azurite.connectionString(), StorageLayout.RESULTS_TABLE, retention), events);

    assertThat(racing.writeDocument(scored("kept-expiring", "\"v1\"", "lynx"), false)).get()
        .extracting(r -> r.predictions().get(0).get(0).label()).isEqualTo("tabby");

    assertThat(retention.happened()).isTrue();
    assertThat(results.list("kept-expiring", null, 10, null).value()).as("an expired row is not written back").isEmpty();
  }

  private static ScoreResult scoredAt(String service, String etag, Instant at) {
    ScoreResult result = scored(service, etag, "tabby");
    return new ScoreResult(result.id(), result.service(), result.modelId(), result.path(), result.etag(), at,
        result.status(), result.predictions(), result.outputs(), result.error(), result.timings());
  }

  @Test
  void expire_deletesTheRowsAndDocumentsOfResultsScoredBeforeTheCutoff_andKeepsTheNewer() {
    Instant now = Instant.now();
    results.record(scoredAt("expire-old", "\"v1\"", now.minus(Duration.ofHours(2))), () -> true);
    results.record(scoredAt("expire-new", "\"v1\"", now), () -> true);

    assertThat(results.expire(now.minus(Duration.ofHours(1)), 1000)).isEqualTo(1);

    assertThat(results.find("expire-old", "cat.jpg")).isEmpty();
    assertThat(results.list("expire-old", null, 10, null).value()).isEmpty();
    assertThat(results.get("expire-new", "cat.jpg").etag()).isEqualTo("\"v1\"");
    assertThat(results.list("expire-new", null, 10, null).value()).hasSize(1);
    assertThat(results.expire(now.minus(Duration.ofHours(1)), 1000)).isZero();
  }

  /**
   * An old result of {@code service} whose document was since replaced by {@code etag}'s scored now (as another run
   * writes it after the old row was read), expired: answers the document that stands.
   */
  private Optional<ScoreResult> expiredBesideANewerDocument(String service, String etag, Instant now) {
    results.record(scoredAt(service, "\"v1\"", now.minus(Duration.ofHours(2))), () -> true);
    results.record(scoredAt(service + "-newer", etag, now), () -> true);
    var documents = storage.container(StorageLayout.RESULTS);
    documents.getBlobClient(service + "/cat.jpg.json")
        .upload(documents.getBlobClient(service + "-newer/cat.jpg.json").downloadContent(), true);

    assertThat(results.expire(now.minus(Duration.ofHours(1)), 1000)).isEqualTo(1);
    assertThat(results.list(service, null, 10, null).value()).isEmpty();
    return results.find(service, "cat.jpg");
  }

  @Test
  void expire_ofARowWhoseDocumentHoldsAnotherVersion_keepsThatDocument() {
    assertThat(expiredBesideANewerDocument("expire-raced", "\"v2\"", Instant.now()))
        .get().extracting(ScoreResult::etag).isEqualTo("\"v2\"");
  }

  @Test
  void expire_ofARowWhoseDocumentARetryOfTheSameVersionWroteSince_keepsThatDocument() {
    Instant now = Instant.now();
    assertThat(expiredBesideANewerDocument("expire-retried", "\"v1\"", now))
        .get().extracting(ScoreResult::scoredAt).isEqualTo(now);
  }
}
