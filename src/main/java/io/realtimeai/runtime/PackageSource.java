package io.realtimeai.runtime;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.util.Context;
import com.azure.core.util.HttpClientOptions;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import com.azure.storage.blob.BlobUrlParts;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import io.realtimeai.error.BadRequestException;
import io.realtimeai.error.InvalidPackageException;
import io.realtimeai.error.NotFoundException;
import io.realtimeai.error.PayloadTooLargeException;
import io.realtimeai.error.RealtimeAiException;
import io.realtimeai.error.UnauthenticatedException;
import io.realtimeai.error.UnavailableException;
import io.realtimeai.packaging.ModelPackager;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.pipeline.AcceleratedStage;
import io.realtimeai.pipeline.ServiceDefinition;
import io.realtimeai.pipeline.Stage;
import io.realtimeai.storage.Storage;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * Turns the runtime's {@code --package} and {@code --catalog} into local paths: a path is taken as
 * it is, a blob URL is downloaded into the work folder with the Azure SDK. Credentials, first that
 * applies: a SAS in the URL's query, the connection string in {@value #STORAGE_ENV} (what the
 * Kubernetes provider mounts from the service's Secret), then {@code DefaultAzureCredential} (a
 * managed identity, chosen by {@code AZURE_CLIENT_ID}). Every message names the blob without its query,
 * so a SAS signature is never printed.
 */
public final class PackageSource {
  /** The environment variable holding a storage connection string to read blob URLs with. */
  public static final String STORAGE_ENV = "REALTIME_AI_STORAGE";

  /** The default of {@code --max-download-bytes}: 4 GiB, as the largest package accepted. */
  public static final long DEFAULT_MAX_DOWNLOAD_BYTES = 4L << 30;

  // Auth failures and 404s are not retried by the storage policy at all; what is retried (an endpoint
  // that refuses or drops connections, a 503) gives up after three tries, within tens of seconds.
  private static final RequestRetryOptions RETRY = new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, 3,
      Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofSeconds(4), null);
  private static final HttpClientOptions HTTP = new HttpClientOptions()
      .setConnectTimeout(Duration.ofSeconds(10))
      .setResponseTimeout(Duration.ofSeconds(30))
      .setReadTimeout(Duration.ofSeconds(60));

  /** How a blob URL is read. */
  enum Credential {
    SAS("the SAS in the URL"),
    ACCOUNT_KEY("the account key in " + STORAGE_ENV),
    CONNECTION_SAS("the SAS in " + STORAGE_ENV),
    DEFAULT_AZURE_CREDENTIAL("DefaultAzureCredential");

    private final String description;

    Credential(String description) {
      this.description = description;
    }
  }

  private final Path workDir;
  private final long maxDownloadBytes;
  private final String storageConnection;
  private final PrintStream progress;

  /**
   * A source downloading into {@code workDir}.
   *
   * @param maxDownloadBytes the largest blob downloaded
   * @param storageConnection the value of {@value #STORAGE_ENV}, or null
   * @param progress where download progress is printed
   */
  public PackageSource(Path workDir, long maxDownloadBytes, String storageConnection, PrintStream progress) {
    this.workDir = workDir;
    this.maxDownloadBytes = maxDownloadBytes;
    this.storageConnection = storageConnection == null || storageConnection.isBlank() ? null : storageConnection.strip();
    this.progress = progress;
  }

  /** True when {@code location} is an {@code http://} or {@code https://} URL rather than a path. */
  public static boolean isUrl(String location) {
    String lower = location.toLowerCase(Locale.ROOT);
    return lower.startsWith("https://") || lower.startsWith("http://");
  }

  /** The URL without its query (a SAS) or fragment: what messages may print. */
  public static String withoutQuery(String url) {
    int end = url.length();
    for (char c : new char[] {'?', '#'}) {
      int at = url.indexOf(c);
      if (at >= 0 && at < end) {
        end = at;
      }
    }
    return url.substring(0, end);
  }

  /**
   * The package zip or folder {@code location} names, downloaded into the work folder when it is a
   * URL. With {@code sha256}, the zip's SHA-256 must be that one before anything reads it.
   */
  public Path fetchPackage(String location, String sha256) throws IOException {
    if (!isUrl(location)) {
      Path local = Path.of(location);
      if (sha256 != null) {
        if (Files.isDirectory(local)) {
          throw new BadRequestException("--package-sha256 checks a package zip; " + local + " is a folder");
        }
        String actual = ModelPackager.sha256(local);
        if (!actual.equals(sha256)) {
          throw mismatch(local.toString(), actual, sha256);
        }
      }
      return local;
    }
    String shown = withoutQuery(location);
    Source source = blobClient(location);
    Files.createDirectories(workDir);
    Path target = workDir.resolve("package-" + ProcessHandle.current().pid() + ".zip");
    String actual = download(source, shown, target);
    if (sha256 != null && !actual.equals(sha256)) {
      Files.deleteIfExists(target);
      throw mismatch(shown, actual, sha256);
    }
    return target;
  }

  /**
   * The catalog {@code location} names (null for none) as the pipeline reads it. From a container URL,
   * only the entries {@code definition} names are downloaded; one the container lacks is left for
   * the pipeline to report as not in the catalog.
   */
  public AcceleratedCatalog fetchCatalog(String location, ServiceDefinition definition) throws IOException {
    if (location == null) {
      return AcceleratedCatalog.none();
    }
    if (!isUrl(location)) {
      return new AcceleratedCatalog(Path.of(location));
    }
    String shown = withoutQuery(location).replaceAll("/+$", "");
    Set<String> entries = new LinkedHashSet<>();
    for (Stage stage : definition.pipeline()) {
      if (stage instanceof AcceleratedStage accelerated && AcceleratedCatalog.isValidName(accelerated.modelRef())
          && AcceleratedCatalog.isValidName(accelerated.modelVersion())) {
        entries.add(accelerated.modelRef() + "/" + accelerated.modelVersion());
      }
    }
    Files.createDirectories(workDir);
    Path root = Files.createTempDirectory(workDir, "catalog-");
    if (!entries.isEmpty()) {
      Credential credential = credential(location);
      BlobContainerClient container = containerClient(location, credential);
      for (String entry : entries) {
        String name = entry + "/" + AcceleratedCatalog.MODEL_FILE;
        Path target = root.resolve(name);
        Files.createDirectories(target.getParent());
        try {
          download(new Source(container.getBlobClient(name), credential), shown + "/" + name, target);
        } catch (NotFoundException e) {
          if (e.getCause() instanceof BlobStorageException storage
              && BlobErrorCode.CONTAINER_NOT_FOUND.equals(storage.getErrorCode())) {
            throw e;
          }
          // Absent from the catalog: the pipeline says so, naming the stage that asked for it.
          Files.deleteIfExists(target);
        }
      }
    }
    return new AcceleratedCatalog(root, "catalog " + shown);
  }

  /** How {@code url} is read: its own SAS, the connection string, or the ambient identity. */
  Credential credential(String url) {
    BlobUrlParts parts = parse(url);
    if (parts.getCommonSasQueryParameters() != null && parts.getCommonSasQueryParameters().getSignature() != null) {
      return Credential.SAS;
    }
    if (storageConnection != null) {
      Map<String, String> settings = Storage.connectionSettings(storageConnection);
      String account = settings.get("AccountName");
      if (account != null && parts.getAccountName() != null && !account.equalsIgnoreCase(parts.getAccountName())) {
        throw new BadRequestException(STORAGE_ENV + " holds a connection string for account '" + account + "', but "
            + withoutQuery(url) + " is in account '" + parts.getAccountName() + "'");
      }
      if (settings.get("AccountKey") != null && account != null) {
        return Credential.ACCOUNT_KEY;
      }
      if (settings.get("SharedAccessSignature") != null) {
        return Credential.CONNECTION_SAS;
      }
      throw new BadRequestException(STORAGE_ENV + " holds a connection string with neither AccountName and AccountKey"
          + " nor SharedAccessSignature");
    }
    if (!"https".equalsIgnoreCase(parts.getScheme())) {
      // The SDK sends no bearer token over plain HTTP; say what would work instead of failing later.
      throw new BadRequestException(withoutQuery(url) + ": plain http needs a SAS in the URL or a connection string in "
          + STORAGE_ENV + " (DefaultAzureCredential only works over https)");
    }
    return Credential.DEFAULT_AZURE_CREDENTIAL;
  }

  /** A size as people read it: {@code 123 bytes}, {@code 123.4 MiB}, {@code 5.0 GiB}. */
  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " bytes";
    }
    if (bytes < 1L << 20) {
      return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    if (bytes < 1L << 30) {
      return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }
    return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
  }

  /** A blob and the credential it is read with (which messages name). */
  private record Source(BlobClient blob, Credential credential) {}

  private Source blobClient(String url) {
    String name = parse(url).getBlobName();
    if (name == null || name.isEmpty()) {
      throw new BadRequestException(withoutQuery(url) + " names no blob (expected …/container/name/version/model.zip)");
    }
    Credential credential = credential(url);
    return new Source(containerClient(url, credential).getBlobClient(name), credential);
  }

  /** The container of {@code url} (a container's or a blob's URL), read with {@code credential}. */
  private BlobContainerClient containerClient(String url, Credential credential) {
    // endpoint() parses account, container and any SAS from the URL, path-style (Azurite) or not.
    BlobContainerClientBuilder builder = new BlobContainerClientBuilder().endpoint(url).retryOptions(RETRY)
        .clientOptions(HTTP);
    switch (credential) {
      case SAS -> { }
      case ACCOUNT_KEY -> builder.credential(sharedKey());
      case CONNECTION_SAS -> builder.sasToken(Storage.connectionSettings(storageConnection).get("SharedAccessSignature"));
      case DEFAULT_AZURE_CREDENTIAL -> builder.credential(new DefaultAzureCredentialBuilder().build());
    }
    return builder.buildClient();
  }

  private StorageSharedKeyCredential sharedKey() {
    Map<String, String> settings = Storage.connectionSettings(storageConnection);
    return new StorageSharedKeyCredential(settings.get("AccountName"), settings.get("AccountKey"));
  }

  private static BlobUrlParts parse(String url) {
    try {
      URI.create(url);
      return BlobUrlParts.parse(url);
    } catch (IllegalArgumentException e) {
      throw new BadRequestException(withoutQuery(url) + " is not a blob URL");
    }
  }

  // Streamed to disk while hashing, bounded twice: by the size the blob's properties give, and
  // while streaming, in case the blob is replaced by a larger one between the two requests (the
  // ETag condition then fails the download instead).
  private String download(Source source, String shown, Path target) throws IOException {
    BlobClient blob = source.blob();
    BlobProperties properties;
    try {
      properties = blob.getProperties();
    } catch (RuntimeException e) {
      throw failure(shown, source.credential(), e);
    }
    long size = properties.getBlobSize();
    if (size > maxDownloadBytes) {
      throw tooLarge(shown, size + " bytes");
    }
    progress.printf(Locale.ROOT, "downloading %s (%s) …%n", shown, size(size));
    progress.flush();
    long started = System.nanoTime();
    MessageDigest digest = newDigest();
    Bounded bounded = null;
    try (OutputStream out = new DigestOutputStream(
        bounded = new Bounded(new BufferedOutputStream(Files.newOutputStream(target), 1 << 20), maxDownloadBytes), digest)) {
      blob.downloadStreamWithResponse(out, null, null, new BlobRequestConditions().setIfMatch(properties.getETag()),
          false, null, Context.NONE);
    } catch (RuntimeException | IOException e) {
      Files.deleteIfExists(target);
      if (bounded != null && bounded.exceeded) {
        throw tooLarge(shown, "more than " + maxDownloadBytes + " bytes");
      }
      if (e instanceof IOException io) {
        throw io;
      }
      throw failure(shown, source.credential(), (RuntimeException) e);
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    progress.printf(Locale.ROOT, "downloaded %s in %.1f s (%s/s)%n", shown, seconds,
        size(Math.round(size / Math.max(seconds, 1e-3))));
    progress.flush();
    return HexFormat.of().formatHex(digest.digest());
  }

  private PayloadTooLargeException tooLarge(String shown, String what) {
    return new PayloadTooLargeException(shown + " is " + what + ", over --max-download-bytes " + maxDownloadBytes);
  }

  private static InvalidPackageException mismatch(String shown, String actual, String expected) {
    return new InvalidPackageException(shown + " has SHA-256 " + actual + ", not the " + expected
        + " given by --package-sha256");
  }

  /** A storage failure as one line naming the blob (without its query) and what to do. */
  private static RuntimeException failure(String shown, Credential credential, RuntimeException e) {
    if (e instanceof RealtimeAiException known) {
      return known;
    }
    if (e instanceof BlobStorageException storage) {
      String code = storage.getErrorCode() == null ? "" : " " + storage.getErrorCode();
      int status = storage.getStatusCode();
      if (status == 404) {
        String what = BlobErrorCode.CONTAINER_NOT_FOUND.equals(storage.getErrorCode()) ? "no such container" : "no such blob";
        return new NotFoundException("NotFound", shown + ": " + what + " (404" + code + ")", List.of(), storage);
      }
      if (status == 401 || status == 403) {
        return new UnauthenticatedException("Unauthenticated", shown + ": access refused (" + status + code
            + ") with " + credential.description, List.of(), storage);
      }
      if (status == 412) {
        return new UnavailableException("ServiceUnavailable", shown + ": the blob changed while it was downloaded; try again",
            List.of(), storage);
      }
      return new UnavailableException("ServiceUnavailable", shown + ": storage answered " + status + code,
          List.of(), storage);
    }
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof ClientAuthenticationException auth) {
        // "… see inner exception": the inner one says what the identity endpoint answered.
        String reason = auth.getMessage() != null && auth.getMessage().contains("inner exception") && auth.getCause() != null
            ? firstLine(String.valueOf(rootCause(auth).getMessage())) : firstLine(String.valueOf(auth.getMessage()));
        return new UnauthenticatedException("Unauthenticated", shown + ": no credential: " + reason
            + " (give a SAS in the URL or a connection string in " + STORAGE_ENV + ")", List.of(), e);
      }
    }
    String reason = null;
    for (Throwable cause = e; cause != null && reason == null; cause = cause.getCause()) {
      if (cause instanceof ConnectException) {
        reason = "connection refused";
      } else if (cause instanceof UnknownHostException) {
        reason = "unknown host";
      } else if (cause instanceof TimeoutException || cause instanceof SocketTimeoutException) {
        reason = "timed out";
      }
    }
    if (reason == null) {
      Throwable root = rootCause(e);
      reason = root.getMessage() == null ? root.getClass().getSimpleName() : firstLine(root.getMessage());
    }
    String host = parse(shown).getHost();
    return new UnavailableException("ServiceUnavailable", shown + ": cannot reach " + host + " (" + reason + ")",
        List.of(), e);
  }

  private static Throwable rootCause(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root;
  }

  private static String firstLine(String text) {
    String line = text.strip().lines().findFirst().orElse("");
    return line.length() > 300 ? line.substring(0, 300) + "…" : line;
  }

  private static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /** Refuses to write more than its limit, and remembers that it did. */
  private static final class Bounded extends FilterOutputStream {
    private final long limit;
    private long written;
    private boolean exceeded;

    Bounded(OutputStream out, long limit) {
      super(out);
      this.limit = limit;
    }

    @Override
    public void write(int b) throws IOException {
      count(1);
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      count(len);
      out.write(b, off, len);
    }

    private void count(int n) throws IOException {
      written += n;
      if (written > limit) {
        exceeded = true;
        throw new IOException("over the download limit of " + limit + " bytes");
      }
    }
  }
}
