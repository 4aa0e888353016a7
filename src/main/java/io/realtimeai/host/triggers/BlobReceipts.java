package io.realtimeai.host.triggers;

import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobLeaseRequestConditions;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.options.BlobAcquireLeaseOptions;
import com.azure.storage.blob.options.BlobBreakLeaseOptions;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
import com.azure.storage.blob.specialized.BlobLeaseClient;
import com.azure.storage.blob.specialized.BlobLeaseClientBuilder;
import java.time.Duration;
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

  /**
   * Deletes the receipt of a settled version whose blob was deleted or overwritten: no scan can list that version
   * again, so its receipt only takes room. The Functions host keeps them for good; a container whose images are deleted
   * once scored would then leave a receipt per image behind.
   */
  void forget(String container, String blobName, String etag) {
    BlobClient receipt = hostContainer.getBlobClient(name(hostId, functionName, etag, container, blobName));
    try {
      receipt.delete();
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 404) {
        return;
      }
      if (!BlobErrorCode.LEASE_ID_MISSING.equals(e.getErrorCode())) {
        throw e;
      }
      // The lease of its last claim has not lapsed yet (a settled receipt's is left to lapse); nothing holds a settled
      // receipt, so it is broken, not waited for.
      new BlobLeaseClientBuilder().blobClient(receipt).buildClient()
          .breakLeaseWithResponse(new BlobBreakLeaseOptions().setBreakPeriod(Duration.ZERO), null, Context.NONE);
      receipt.delete();
    }
  }

  /** An ETag in its quoted wire form, whichever form the service listed it in. */
  static String quoted(String etag) {
    return etag.startsWith("\"") ? etag : "\"" + etag + "\"";
  }

  /**
   * Tries to take the right to run one blob version, as invocation {@code invocationId}. A version
   * seen for the first time gets its receipt created with that invocation's attempt already begun
   * (one write instead of a create and a begin), so {@link Claim#begin} then writes nothing.
   */
  Claim claim(String container, String blobName, String etag, String invocationId) {
    BlobClient receipt = hostContainer.getBlobClient(name(hostId, functionName, etag, container, blobName));
    // Created first, since most versions a scan hands over are new: one request instead of a lookup and a create.
    Receipt seen = createIfAbsent(receipt, invocationId);
    boolean begun = seen != null;
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
    // A receipt just created records its first attempt; a claim of an older one counts the attempts before it.
    return begun ? new Claim(receipt, lease, 0, 1) : new Claim(receipt, lease, attempts(seen.metadata()), 0);
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
  private static Receipt createIfAbsent(BlobClient receipt, String invocationId) {
    Map<String, String> metadata = Map.of(ATTEMPTS, "1", STATUS, "Pending", INCOMPLETE, invocationId);
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
    static final Claim SETTLED = new Claim(null, null, 0, 0);
    static final Claim BUSY = new Claim(null, null, 0, 0);

    private final BlobClient receipt;
    private final BlobLeaseClient lease;
    private final int before;
    private int attempts;

    private Claim(BlobClient receipt, BlobLeaseClient lease, int before, int attempts) {
      this.receipt = receipt;
      this.lease = lease;
      this.before = before;
      this.attempts = attempts;
    }

    /** True when this listener holds the version and may run it. */
    boolean held() {
      return lease != null;
    }

    /** Attempts recorded before this claim. */
    int attempts() {
      return before;
    }

    /** Records the start of the claim's attempt (unless its receipt was created with it); returns its number. */
    int begin(String invocationId) {
      if (attempts > before) {
        return attempts;
      }
      attempts = before + 1;
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

    /**
     * Writes the outcome. Only a version that may run again gives its lease back at once; a settled
     * receipt is never leased again (a claim reads it settled first), so its lease just lapses,
     * sparing a request per blob.
     */
    private void settle(String status) {
      boolean retried = status.equals("Pending");
      try {
        write(Map.of(ATTEMPTS, Integer.toString(Math.max(attempts, before)), STATUS, status));
      } catch (RuntimeException e) {
        release();
        throw e;
      }
      if (retried) {
        release();
      }
    }

    private void write(Map<String, String> metadata) {
      receipt.setMetadataWithResponse(metadata, new BlobRequestConditions().setLeaseId(lease.getLeaseId()), null,
          Context.NONE);
    }
  }
}
