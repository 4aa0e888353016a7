package io.realtimeai.registry;

import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobStorageException;
import io.realtimeai.error.BadRequestException;
import io.realtimeai.error.NotFoundException;
import io.realtimeai.error.PayloadTooLargeException;
import io.realtimeai.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Fetches a package for {@code POST /api/models}: from the app's blob storage, or over
 * http(s) with the size and the time capped, so a slow or endless source cannot hold a function.
 */
public final class ModelDownloads {
  private final Storage storage;
  /** Azure Storage's rule for container names, and its two special containers. */
  private static final java.util.regex.Pattern CONTAINER_NAME =
      java.util.regex.Pattern.compile("\\$root|\\$web|(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*");
  /** Azure Storage's longest blob name. */
  private static final int MAX_BLOB_NAME = 1024;

  private final long maxBytes;
  private final Duration timeout;
  private final HttpClient http;

  /** Downloads of at most {@code maxBytes}, each within {@code timeout}. */
  public ModelDownloads(Storage storage, long maxBytes, Duration timeout) {
    this.storage = storage;
    this.maxBytes = maxBytes;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NORMAL).build();
  }

  /**
   * What was fetched.
   *
   * @param location where it came from ({@code container/blob} or the URL)
   * @param version the source version: the blob's ETag, or the content's SHA-256 for a URL
   */
  public record Downloaded(String location, String version) {}

  /** Downloads {@code container/blob} of the app's storage into {@code target}. */
  public Downloaded fromBlob(String blobPath, Path target) {
    int slash = blobPath.indexOf('/');
    if (slash <= 0 || slash == blobPath.length() - 1) {
      throw new BadRequestException("blobPath: '" + blobPath + "' must be container/blob, e.g. model-uploads/resnet50.zip");
    }
    String container = blobPath.substring(0, slash);
    String name = blobPath.substring(slash + 1);
    if (!CONTAINER_NAME.matcher(container).matches()) {
      throw new BadRequestException("blobPath: '" + container + "' is not a container name (3 to 63 lowercase letters,"
          + " digits and single hyphens, starting and ending with a letter or digit; or $root, $web)");
    }
    if (name.length() > MAX_BLOB_NAME) {
      throw new BadRequestException("blobPath: the blob name is " + name.length() + " characters long; at most "
          + MAX_BLOB_NAME);
    }
    BlobClient blob = storage.container(container).getBlobClient(name);
    try {
      BlobProperties properties = blob.getProperties();
      if (properties.getBlobSize() > maxBytes) {
        throw new PayloadTooLargeException("blobPath: " + blobPath + " holds " + properties.getBlobSize()
            + " bytes, above the limit of " + maxBytes);
      }
      blob.downloadToFile(target.toString(), true);
      String etag = properties.getETag();
      return new Downloaded(blobPath, etag.startsWith("\"") ? etag : "\"" + etag + "\"");
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 404) {
        throw new NotFoundException("blobPath: " + blobPath + " does not exist");
      }
      if (e.getStatusCode() == 400) {
        // A name the storage refuses that the check above lets through (a slash under $root, say).
        throw new BadRequestException("blobPath: the storage refuses the name '" + blobPath + "' ("
            + (e.getErrorCode() == null ? "400" : e.getErrorCode()) + ")");
      }
      throw e;
    }
  }

  /** Downloads an http(s) URL into {@code target}, refusing more than the size cap or a slower transfer than the time cap. */
  public Downloaded fromUrl(String url, Path target) {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new BadRequestException("url: '" + url + "' is not a URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new BadRequestException("url: '" + url + "' must be http or https");
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
          HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream body = response.body()) {
        if (response.statusCode() / 100 != 2) {
          throw new BadRequestException("url: GET " + url + " answered " + response.statusCode());
        }
        long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (declared > maxBytes) {
          throw new PayloadTooLargeException("url: " + url + " holds " + declared + " bytes, above the limit of " + maxBytes);
        }
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new DigestInputStream(body, sha); OutputStream out = Files.newOutputStream(target)) {
          byte[] buffer = new byte[64 * 1024];
          long total = 0;
          for (int n; (n = in.read(buffer)) > 0; ) {
            total += n;
            if (total > maxBytes) {
              throw new PayloadTooLargeException("url: " + url + " sent more than the limit of " + maxBytes + " bytes");
            }
            if (System.nanoTime() > deadline) {
              throw new BadRequestException("url: " + url + " did not finish within " + timeout.toSeconds() + " s");
            }
            out.write(buffer, 0, n);
          }
        }
        return new Downloaded(url, HexFormat.of().formatHex(sha.digest()));
      }
    } catch (HttpTimeoutException e) {
      throw new BadRequestException("url: " + url + " did not answer within " + timeout.toSeconds() + " s");
    } catch (IOException e) {
      throw new BadRequestException("url: cannot download " + url + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BadRequestException("url: the download of " + url + " was interrupted");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
