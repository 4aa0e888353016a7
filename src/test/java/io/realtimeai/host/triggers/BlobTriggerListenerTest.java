package io.realtimeai.host.triggers;

import static io.realtimeai.host.triggers.TriggerTestApp.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.queue.models.PeekedMessageItem;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.realtimeai.host.HostConfig;
import io.realtimeai.host.triggers.functions.BlobFunctions;
import io.realtimeai.storage.Storage;
import io.realtimeai.storage.StorageLayout;
import io.realtimeai.storage.StorageRequests;
import io.realtimeai.testing.AzuriteExtension;
import io.realtimeai.testing.TcpLink;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Blob triggers on a real Azurite: receipts, retries, poison, parallelism and stop. */
@Tag("integration")
class BlobTriggerListenerTest {
  @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();

  private static final String HOST_ID = "test-host";
  private static final Duration POLL = Duration.ofMillis(100);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<BlobTriggerListener> listeners = new ArrayList<>();
  private Storage storage;

  @BeforeEach
  void createContainers() {
    storage = azurite.storage();
    for (String container : List.of("uploads", "images", "failing", "gated")) {
      storage.container(container).createIfNotExists();
    }
    storage.createQueue(StorageLayout.BLOB_POISON_QUEUE);
    BlobFunctions.UPLOADS.clear();
    BlobFunctions.IMAGES.clear();
    BlobFunctions.FAILED_ATTEMPTS.clear();
    BlobFunctions.GATED.clear();
    BlobFunctions.GATE.reset();
  }

  @AfterEach
  void stopListeners() throws InterruptedException {
    BlobFunctions.GATE.openWide();
    for (BlobTriggerListener listener : listeners) {
      listener.stop(Duration.ofSeconds(5));
    }
  }

  @Test
  void droppedBlob_runsOnceWithItsBytesAndBindings() throws Exception {
    byte[] bytes = {0, 1, 2, (byte) 0xFF, (byte) 0xFE};
    upload("uploads", "resnet50.v2.zip", bytes);
    storage.container("uploads").getBlobClient("resnet50.v2.zip").setMetadata(Map.of("Owner", "vision-team"));
    BlobTriggerListener listener = start("BlobUpload", HOST_ID, TriggerTestApp.config());

    await("the upload ran", () -> runs("resnet50.v2") == 1);
    awaitScans(listener, 3);

    assertThat(runs("resnet50.v2")).isEqualTo(1);
    BlobFunctions.Upload upload = uploadsOf("resnet50.v2").get(0);
    assertThat(upload.content()).containsExactly(bytes);
    assertThat(upload.name()).isEqualTo("resnet50.v2");
    assertThat(upload.ext()).isEqualTo("zip");
    assertThat(upload.blobTrigger()).isEqualTo("uploads/resnet50.v2.zip");
    assertThat(upload.uri()).isEqualTo(storage.container("uploads").getBlobClient("resnet50.v2.zip").getBlobUrl());
    JsonNode properties = JSON.readTree(upload.properties());
    assertThat(properties.path("ContentLength").asLong()).isEqualTo(bytes.length);
    assertThat(properties.path("ETag").asText()).isEqualTo(etag("uploads", "resnet50.v2.zip"));
    // Not in the listing (it carries names and properties only): the download brings it.
    assertThat(JSON.readTree(upload.metadata()).path("Owner").asText()).isEqualTo("vision-team");
  }

  @Test
  void stoppingDuringAScanThatWaitsOnStorage_reportsNoFailedScan() throws Exception {
    List<TcpLink> links = TcpLink.toEach(azurite.azurite().ports());
    List<LogRecord> warnings = new CopyOnWriteArrayList<>();
    AtomicBoolean stopping = new AtomicBoolean();
    Logger logger = Logger.getLogger(BlobTriggerListener.class.getName());
    Handler handler = new Handler() {
      @Override
      public void publish(LogRecord record) {
        if (stopping.get() && record.getLevel().intValue() >= Level.WARNING.intValue()) {
          warnings.add(record);
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    logger.addHandler(handler);
    try {
      BlobTriggerListener listener = new BlobTriggerListener(TriggerTestApp.function("BlobUpload"),
          Storage.connect(TcpLink.connectionString(links)), TriggerTestApp.config(), HOST_ID, POLL);
      listener.start();
      awaitScans(listener, 2);
      // The next listing meets a storage that drops every connection: the client retries, with back-off, for seconds.
      links.forEach(TcpLink::cut);
      Thread.sleep(1500);

      stopping.set(true);
      listener.stop(Duration.ofSeconds(1));
      Thread.sleep(1000);

      assertThat(warnings).as("warnings logged while stopping").extracting(LogRecord::getMessage).isEmpty();
    } finally {
      logger.removeHandler(handler);
      TcpLink.closeAll(links);
    }
  }

  @Test
  void processedBlob_leavesAReceiptWhereTheFunctionsHostKeepsThem() throws Exception {
    upload("uploads", "receipt.zip", bytes("r"));
    start("BlobUpload", HOST_ID, TriggerTestApp.config());
    await("the upload ran", () -> names().contains("receipt"));

    String receipt = "blobreceipts/" + HOST_ID + "/BlobUpload/" + etag("uploads", "receipt.zip") + "/uploads/receipt.zip";
    BlobContainerClient host = storage.container(StorageLayout.HOST_CONTAINER);
    await("the receipt says Succeeded", () -> host.getBlobClient(receipt).exists()
        && "Succeeded".equals(metadata(host, receipt).get("Status")));
    assertThat(metadata(host, receipt)).containsEntry("Attempts", "1").doesNotContainKey("IncompleteInvocationId");
  }

  @Test
  void deletedBlob_hasItsReceiptDeletedByTheNextScan_andAnotherBlobKeepsItsOwn() throws Exception {
    upload("uploads", "scored-then-deleted.zip", bytes("d"));
    upload("uploads", "kept.zip", bytes("k"));
    BlobTriggerListener listener = start("BlobUpload", HOST_ID, TriggerTestApp.config());
    await("both ran", () -> names().containsAll(List.of("scored-then-deleted", "kept")));
    BlobContainerClient host = storage.container(StorageLayout.HOST_CONTAINER);
    String deleted = "blobreceipts/" + HOST_ID + "/BlobUpload/" + etag("uploads", "scored-then-deleted.zip")
        + "/uploads/scored-then-deleted.zip";
    String kept = "blobreceipts/" + HOST_ID + "/BlobUpload/" + etag("uploads", "kept.zip") + "/uploads/kept.zip";
    await("both receipts say Succeeded", () -> host.getBlobClient(deleted).exists() && host.getBlobClient(kept).exists()
        && "Succeeded".equals(metadata(host, deleted).get("Status")) && "Succeeded".equals(metadata(host, kept).get("Status")));
    awaitScans(listener, 2);

    storage.container("uploads").getBlobClient("scored-then-deleted.zip").delete();
    // Deleted on a worker after the scan, breaking the lease of its last claim first.
    await("the deleted blob's receipt goes", () -> !host.getBlobClient(deleted).exists());
    awaitScans(listener, 2);

    assertThat(host.getBlobClient(kept).exists()).isTrue();
    assertThat(runs("kept")).isEqualTo(1);
  }

  @Test
  void overwrittenBlob_runsAgain_andTheReceiptOfTheVersionBeforeGoes() throws Exception {
    upload("uploads", "overwritten.zip", bytes("1"));
    BlobTriggerListener listener = start("BlobUpload", HOST_ID, TriggerTestApp.config());
    await("the first version ran", () -> runs("overwritten") == 1);
    BlobContainerClient host = storage.container(StorageLayout.HOST_CONTAINER);
    String first = "blobreceipts/" + HOST_ID + "/BlobUpload/" + etag("uploads", "overwritten.zip")
        + "/uploads/overwritten.zip";
    await("its receipt says Succeeded", () -> host.getBlobClient(first).exists()
        && "Succeeded".equals(metadata(host, first).get("Status")));
    awaitScans(listener, 2);

    upload("uploads", "overwritten.zip", bytes("2"));
    String second = "blobreceipts/" + HOST_ID + "/BlobUpload/" + etag("uploads", "overwritten.zip")
        + "/uploads/overwritten.zip";
    await("the second version ran", () -> runs("overwritten") == 2);
    await("its receipt says Succeeded", () -> host.getBlobClient(second).exists()
        && "Succeeded".equals(metadata(host, second).get("Status")));
    await("the first version's receipt goes", () -> !host.getBlobClient(first).exists());
    awaitScans(listener, 2);

    assertThat(host.getBlobClient(second).exists()).as("the second version's receipt").isTrue();
    assertThat(runs("overwritten")).isEqualTo(2);
  }

  @Test
  void blobWithSeveralPlaceholders_bindsEachAndTheContentAsText() throws Exception {
    upload("images", "resnet/2024/06/cat.jpg", bytes("not really a jpeg"));
    start("BlobImage", HOST_ID, TriggerTestApp.config());

    await("the image ran", () -> BlobFunctions.IMAGES.size() == 1);

    // Greedy, as on the Functions host: the first placeholder takes every folder but the last.
    assertThat(BlobFunctions.IMAGES.peek())
        .isEqualTo(new BlobFunctions.Image("resnet/2024/06", "cat.jpg", "not really a jpeg"));
  }

  @Test
  void sameVersion_isNotRunAgainByLaterScansOrASecondListener() throws Exception {
    upload("uploads", "once.zip", bytes("once"));
    BlobTriggerListener first = start("BlobUpload", HOST_ID, TriggerTestApp.config());
    await("the upload ran", () -> names().contains("once"));

    awaitScans(first, 3);
    BlobTriggerListener second = start("BlobUpload", HOST_ID, TriggerTestApp.config());
    awaitScans(second, 3);

    assertThat(runs("once")).isEqualTo(1);
  }

  @Test
  void twoListenersOnOneStorage_runEachVersionExactlyOnce() throws Exception {
    for (int i = 0; i < 12; i++) {
      upload("uploads", "shared-" + i + ".zip", bytes("blob " + i));
    }
    HostConfig wide = new HostConfig("api", 100, 4, 0, 3, Duration.ofMillis(100), Duration.ofMillis(200), 3, 8,
        Duration.ofMinutes(1));

    BlobTriggerListener first = start("BlobUpload", HOST_ID, wide);
    BlobTriggerListener second = start("BlobUpload", HOST_ID, wide);
    await("all twelve ran", () -> names().stream().filter(n -> n.startsWith("shared-")).distinct().count() == 12);
    awaitScans(first, 3);
    awaitScans(second, 3);

    Map<String, Long> runs = BlobFunctions.UPLOADS.stream().filter(u -> u.name().startsWith("shared-"))
        .collect(Collectors.groupingBy(BlobFunctions.Upload::name, TreeMap::new, Collectors.counting()));
    assertThat(runs).hasSize(12).allSatisfy((name, count) -> assertThat(count).as(name).isEqualTo(1));
  }

  @Test
  void containerListedOverSeveralPages_runsEveryBlobOnceAndListsPageByPage() throws Exception {
    for (int i = 0; i < 7; i++) {
      upload("uploads", "paged-" + i + ".zip", bytes("blob " + i));
    }
    StorageRequests requests = new StorageRequests();
    BlobTriggerListener listener = new BlobTriggerListener(TriggerTestApp.function("BlobUpload"),
        Storage.connect(azurite.connectionString(), requests), TriggerTestApp.config(), HOST_ID, POLL, 3,
        BlobTriggerListener.MAX_BOUND_BYTES);
    listeners.add(listener);
    listener.start();

    await("all seven ran", () -> names().stream().filter(n -> n.startsWith("paged-")).distinct().count() == 7);
    awaitScans(listener, 2);
    // Settled blobs cost a scan nothing but its listing: 7 blobs in pages of 3 are 3 requests a scan (1 unpaged).
    long scans = listener.scans();
    long gets = requests.snapshot().getOrDefault("GET blob", 0L);
    awaitScans(listener, 4);
    long moreScans = listener.scans() - scans;
    long moreGets = requests.snapshot().getOrDefault("GET blob", 0L) - gets;

    assertThat(moreGets).as("listing requests over %d scans", moreScans).isGreaterThanOrEqualTo(2 * moreScans);
    assertThat(names().stream().filter(n -> n.startsWith("paged-")).sorted())
        .containsExactly("paged-0", "paged-1", "paged-2", "paged-3", "paged-4", "paged-5", "paged-6");
  }

  @Test
  void anotherHostId_keepsItsOwnReceipts() throws Exception {
    upload("uploads", "per-host.zip", bytes("x"));
    start("BlobUpload", HOST_ID, TriggerTestApp.config());
    await("the first host ran it", () -> runs("per-host") == 1);

    start("BlobUpload", "other-host", TriggerTestApp.config());

    await("the other host ran it too", () -> runs("per-host") == 2);
  }

  @Test
  void overwrittenBlob_runsAgainWithItsNewContent() throws Exception {
    upload("uploads", "model.zip", bytes("version 1"));
    BlobTriggerListener listener = start("BlobUpload", HOST_ID, TriggerTestApp.config());
    await("version 1 ran", () -> runs("model") == 1);

    upload("uploads", "model.zip", bytes("version 2"));
    await("version 2 ran", () -> runs("model") == 2);
    awaitScans(listener, 3);

    assertThat(uploadsOf("model")).extracting(u -> new String(u.content(), StandardCharsets.UTF_8))
        .containsExactly("version 1", "version 2");
  }

  @Test
  void failingBlob_runsPoisonThresholdTimesThenOnePoisonMessage() throws Exception {
    upload("failing", "broken.bin", bytes("bad"));
    String etag = etag("failing", "broken.bin");
    BlobTriggerListener listener = start("BlobAlwaysFails", HOST_ID, TriggerTestApp.config());

    await("a poison message for broken.bin", () -> poisonMessagesFor("broken.bin").size() == 1);
    awaitScans(listener, 3);

    assertThat(attempts("broken.bin")).isEqualTo(3);
    List<JsonNode> poison = poisonMessagesFor("broken.bin");
    assertThat(poison).hasSize(1);
    JsonNode message = poison.get(0);
    assertThat(message.path("Type").asText()).isEqualTo("BlobTrigger");
    assertThat(message.path("FunctionId").asText()).isEqualTo("Host.Functions.BlobAlwaysFails");
    assertThat(message.path("BlobType").asText()).isEqualTo("BlockBlob");
    assertThat(message.path("ContainerName").asText()).isEqualTo("failing");
    assertThat(message.path("BlobName").asText()).isEqualTo("broken.bin");
    assertThat(message.path("ETag").asText()).isEqualTo(etag);
    assertThat(message.path("Reason").asText()).contains("cannot read broken.bin");
  }

  @Test
  void blobTooLargeToBind_countsEveryAttemptAndEndsInPoisonWithTheReasonUnread() throws Exception {
    upload("uploads", "oversized.zip", bytes("ten bytes!"));
    StorageRequests requests = new StorageRequests();
    BlobTriggerListener listener = new BlobTriggerListener(TriggerTestApp.function("BlobUpload"),
        Storage.connect(azurite.connectionString(), requests), TriggerTestApp.config(), HOST_ID, POLL,
        BlobTriggerListener.LIST_PAGE, 4);
    listeners.add(listener);
    listener.start();

    await("a poison message for oversized.zip", () -> poisonMessagesFor("oversized.zip").size() == 1);
    awaitScans(listener, 3);

    assertThat(runs("oversized")).isZero();
    assertThat(poisonMessagesFor("oversized.zip")).singleElement()
        .satisfies(m -> assertThat(m.path("Reason").asText())
            .isEqualTo("blob uploads/oversized.zip is 10 bytes, more than the 4 the host binds to a function's parameter"));
    String receipt = "blobreceipts/" + HOST_ID + "/BlobUpload/" + etag("uploads", "oversized.zip") + "/uploads/oversized.zip";
    assertThat(metadata(storage.container(StorageLayout.HOST_CONTAINER), receipt))
        .containsEntry("Status", "Poisoned").containsEntry("Attempts", Integer.toString(TriggerTestApp.config().blobPoisonThreshold()));
    // Refused from the listing, never downloaded: every GET on the blob service was a scan's one-page listing.
    listener.stop(Duration.ofSeconds(5));
    assertThat(requests.snapshot().get("GET blob")).isEqualTo(listener.scans());
  }

  @Test
  void attemptCount_survivesARestartOfTheListener() throws Exception {
    upload("failing", "restarted.bin", bytes("bad"));
    BlobTriggerListener first = start("BlobAlwaysFails", HOST_ID, TriggerTestApp.config());
    await("a first attempt", () -> attempts("restarted.bin") >= 1);
    first.stop(Duration.ofSeconds(5));
    int before = attempts("restarted.bin");

    BlobTriggerListener second = start("BlobAlwaysFails", HOST_ID, TriggerTestApp.config());
    await("a poison message for restarted.bin", () -> poisonMessagesFor("restarted.bin").size() == 1);
    awaitScans(second, 3);

    assertThat(before).isBetween(1, 2);
    assertThat(attempts("restarted.bin")).isEqualTo(3);
  }

  @Test
  void invocations_neverExceedMaxDegreeOfParallelismAndReachIt() throws Exception {
    BlobFunctions.GATE.close();
    for (int i = 0; i < 5; i++) {
      upload("gated", "g-" + i, bytes("g"));
    }
    BlobTriggerListener listener = start("BlobGate", HOST_ID, TriggerTestApp.config());

    await("two invocations at once", () -> BlobFunctions.GATE.current() == 2);
    awaitScans(listener, 3);
    assertThat(BlobFunctions.GATE.current()).isEqualTo(2);
    BlobFunctions.GATE.openWide();
    await("all five ran", () -> BlobFunctions.GATED.size() == 5);

    assertThat(BlobFunctions.GATE.max()).isEqualTo(2);
  }

  @Test
  void stop_letsTheInvocationInFlightFinishAndSettleItsReceipt() throws Exception {
    BlobFunctions.GATE.close();
    upload("gated", "in-flight", bytes("x"));
    BlobTriggerListener listener = start("BlobGate", HOST_ID, TriggerTestApp.config());
    await("the invocation started", () -> BlobFunctions.GATE.current() == 1);

    CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> stop(listener, Duration.ofSeconds(20)));
    assertThat(stopped).isNotDone();
    BlobFunctions.GATE.openWide();
    stopped.get();

    assertThat(BlobFunctions.GATED).containsExactly("in-flight");
    String receipt = "blobreceipts/" + HOST_ID + "/BlobGate/" + etag("gated", "in-flight") + "/gated/in-flight";
    assertThat(metadata(storage.container(StorageLayout.HOST_CONTAINER), receipt)).containsEntry("Status", "Succeeded");
  }

  private BlobTriggerListener start(String function, String hostId, HostConfig config) throws Exception {
    BlobTriggerListener listener = new BlobTriggerListener(TriggerTestApp.function(function), storage, config, hostId,
        POLL);
    listeners.add(listener);
    listener.start();
    return listener;
  }

  private static void stop(BlobTriggerListener listener, Duration grace) {
    try {
      listener.stop(grace);
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void awaitScans(BlobTriggerListener listener, int more) throws InterruptedException {
    long target = listener.scans() + more;
    await(more + " more scans", () -> listener.scans() >= target);
  }

  private void upload(String container, String name, byte[] content) {
    storage.container(container).getBlobClient(name).upload(BinaryData.fromBytes(content), true);
  }

  /** The blob's ETag in its quoted wire form, as receipts and poison messages carry it. */
  private String etag(String container, String name) {
    return BlobReceipts.quoted(storage.container(container).getBlobClient(name).getProperties().getETag());
  }

  private static Map<String, String> metadata(BlobContainerClient container, String name) {
    Map<String, String> metadata = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    metadata.putAll(container.getBlobClient(name).getProperties().getMetadata());
    return metadata;
  }

  private static List<String> names() {
    return BlobFunctions.UPLOADS.stream().map(BlobFunctions.Upload::name).toList();
  }

  private static List<BlobFunctions.Upload> uploadsOf(String name) {
    return BlobFunctions.UPLOADS.stream().filter(u -> u.name().equals(name)).toList();
  }

  private static long runs(String name) {
    return names().stream().filter(name::equals).count();
  }

  private static int attempts(String blob) {
    return (int) BlobFunctions.FAILED_ATTEMPTS.stream().filter(blob::equals).count();
  }

  private List<JsonNode> poisonMessagesFor(String blob) {
    var queue = storage.queue(StorageLayout.BLOB_POISON_QUEUE);
    Function<PeekedMessageItem, JsonNode> parse = m -> {
      try {
        return JSON.readTree(m.getBody().toString());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
    return queue.peekMessages(32, null, null).stream().map(parse)
        .filter(m -> m.path("BlobName").asText().equals(blob)).toList();
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
