package io.realtimeai.host.triggers;

import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobLeaseRequestConditions;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.options.BlobAcquireLeaseOptions;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
import com.azure.storage.blob.specialized.BlobLeaseClient;
import com.azure.storage.blob.specialized.BlobLeaseClientBuilder;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The receipts of one blob-triggered function, kept as the Functions host keeps them: an empty
 * blob {@code blobreceipts/{hostId}/{function}/"{etag}"/{container}/{blob}} in the host container
 * per blob version. Its metadata holds the attempts so far and whether the version is settled;
 * a lease on it is the right to run that version, so listeners sharing the storage never run one
 * version at the same time, and never again once it is settled.
 */
final class BlobReceipts {
  /** Attempts started on this version, counted before each invocation so a crash counts too. */
  static final String ATTEMPTS = "Attempts";
  /** {@code Pending}, {@code Succeeded} or {@code Poisoned}. */
  static final String STATUS = "Status";
  /** The invocation running now (the real host's metadata name); removed when it settles. */
  static final String INCOMPLETE = "IncompleteInvocationId";

  /**
   * How long a claim outlives its holder: a host that dies mid-invocation keeps the version from
   * everyone else this long at most. Renewed every third of it while the invocation runs.
   */
  static final int LEASE_SECONDS = 60;

  private static final Logger LOG = Logger.getLogger(BlobReceipts.class.getName());

  private final BlobContainerClient hostContainer;
  private final String hostId;
  private final String functionName;

  BlobReceipts(BlobContainerClient hostContainer, String hostId, String functionName) {
    this.hostContainer = hostContainer;
    this.hostId = hostId;
    this.functionName = functionName;
  }

  /** The receipt blob's name for one version of one blob. */
  static String name(String hostId, String functionName, String etag, String container, String blobName) {
    return "blobreceipts/" + hostId + "/" + functionName + "/" + quoted(etag) + "/" + container + "/" + blobName;
  }

  /** An ETag in its quoted wire form, whichever form the service listed it in. */
  static String quoted(String etag) {
    return etag.startsWith("\"") ? etag : "\"" + etag + "\"";
  }

  /** Tries to take the right to run one blob version. */
  Claim claim(String container, String blobName, String etag) {
    BlobClient receipt = hostContainer.getBlobClient(name(hostId, functionName, etag, container, blobName));
    // Created first, since most versions a scan hands over are new: one request instead of a lookup and a create.
    Receipt seen = createIfAbsent(receipt);
    if (seen == null) {
      // There already (tried before, or created by another listener a moment ago): read what it says.
      seen = read(receipt);
    }
    if (seen == null || isSettled(seen.metadata())) {
      return seen == null ? Claim.BUSY : Claim.SETTLED;
    }
    // If-Match the receipt as read: a lease on it means nobody settled it since, so what it said
    // still holds (leasing does not change a blob's ETag; settling does).
    BlobLeaseClient lease = new BlobLeaseClientBuilder().blobClient(receipt).buildClient();
    try {
      lease.acquireLeaseWithResponse(new BlobAcquireLeaseOptions(LEASE_SECONDS)
          .setRequestConditions(new BlobLeaseRequestConditions().setIfMatch(seen.etag())), null, Context.NONE);
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 409 || e.getStatusCode() == 412) {
        // Held by someone else now, or changed since it was read: the next scan looks again.
        return Claim.BUSY;
      }
      throw e;
    }
    return new Claim(receipt, lease, attempts(seen.metadata()));
  }

  /** A receipt's metadata and the ETag it had when read. */
  private record Receipt(Map<String, String> metadata, String etag) {}

  private static Receipt read(BlobClient receipt) {
    try {
      var properties = receipt.getProperties();
      return new Receipt(caseInsensitive(properties.getMetadata()), properties.getETag());
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 404) {
        return null;
      }
      throw e;
    }
  }

  // If-None-Match *: of two listeners creating the same receipt, one creates it and neither overwrites it.
  // Answers the receipt as created, or null when another listener created it first.
  private static Receipt createIfAbsent(BlobClient receipt) {
    Map<String, String> metadata = Map.of(ATTEMPTS, "0", STATUS, "Pending");
    try {
      String created = receipt.getBlockBlobClient().uploadWithResponse(
          new BlockBlobSimpleUploadOptions(BinaryData.fromBytes(new byte[0]))
              .setMetadata(metadata)
              .setRequestConditions(new BlobRequestConditions().setIfNoneMatch("*")),
          null, Context.NONE).getValue().getETag();
      return new Receipt(caseInsensitive(metadata), created);
    } catch (BlobStorageException e) {
      if (e.getStatusCode() != 409 && e.getStatusCode() != 412) {
        throw e;
      }
      return null;
    }
  }

  private static boolean isSettled(Map<String, String> metadata) {
    String status = metadata.get(STATUS);
    return "Succeeded".equals(status) || "Poisoned".equals(status);
  }

  private static int attempts(Map<String, String> metadata) {
    try {
      return Integer.parseInt(metadata.getOrDefault(ATTEMPTS, "0"));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static Map<String, String> caseInsensitive(Map<String, String> metadata) {
    Map<String, String> map = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    if (metadata != null) {
      map.putAll(metadata);
    }
    return map;
  }

  private static void release(BlobLeaseClient lease) {
    try {
      lease.releaseLease();
    } catch (BlobStorageException e) {
      // Expired and maybe taken by another host: nothing of ours is left to release.
      LOG.log(Level.FINE, "receipt lease already gone: " + e.getMessage());
    }
  }

  /** The outcome of {@link #claim}: held (with its lease), settled before, or held by someone else now. */
  static final class Claim {
    static final Claim SETTLED = new Claim(null, null, 0);
    static final Claim BUSY = new Claim(null, null, 0);

    private final BlobClient receipt;
    private final BlobLeaseClient lease;
    private int attempts;

    private Claim(BlobClient receipt, BlobLeaseClient lease, int attempts) {
      this.receipt = receipt;
      this.lease = lease;
      this.attempts = attempts;
    }

    /** True when this listener holds the version and may run it. */
    boolean held() {
      return lease != null;
    }

    /** Attempts recorded before this claim. */
    int attempts() {
      return attempts;
    }

    /** Records the start of an attempt; returns its number (1 for the first). */
    int begin(String invocationId) {
      attempts++;
      write(Map.of(ATTEMPTS, Integer.toString(attempts), STATUS, "Pending", INCOMPLETE, invocationId));
      return attempts;
    }

    /** Keeps the claim while the invocation runs. */
    void renew() {
      lease.renewLease();
    }

    /** The version ran: never again. */
    void succeeded() {
      settle("Succeeded");
    }

    /** The version failed every attempt and went to the poison queue: never again. */
    void poisoned() {
      settle("Poisoned");
    }

    /** The attempt failed; a later scan (here or on another host) tries again. */
    void failed() {
      settle("Pending");
    }

    /** Gives the version back untouched. */
    void release() {
      BlobReceipts.release(lease);
    }

    private void settle(String status) {
      try {
        write(Map.of(ATTEMPTS, Integer.toString(attempts), STATUS, status));
      } finally {
        release();
      }
    }

    private void write(Map<String, String> metadata) {
      receipt.setMetadataWithResponse(metadata, new BlobRequestConditions().setLeaseId(lease.getLeaseId()), null,
          Context.NONE);
    }
  }
}
