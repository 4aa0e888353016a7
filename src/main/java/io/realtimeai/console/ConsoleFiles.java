package io.realtimeai.console;

import io.realtimeai.error.BadRequestException;
import io.realtimeai.error.NotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The console's files, read from the classpath folder {@code console/} and kept once read. Only
 * plain names of the types it serves are looked up, so no request reaches anything outside that
 * folder (no {@code ..}, no backslash, no directory listing).
 */
public final class ConsoleFiles {
  /** The file a request for the folder itself gets. */
  public static final String INDEX = "index.html";

  private static final String FOLDER = "console/";
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*");
  private static final Map<String, String> TYPES = Map.of(
      "html", "text/html; charset=utf-8",
      "css", "text/css; charset=utf-8",
      "js", "text/javascript; charset=utf-8",
      "svg", "image/svg+xml",
      "png", "image/png",
      "ico", "image/x-icon");
  private static final ConsoleFiles BUNDLED = new ConsoleFiles(ConsoleFiles.class.getClassLoader());

  private final ClassLoader classes;
  private final Map<String, File> read = new ConcurrentHashMap<>();

  /**
   * One file of the console.
   *
   * @param path its path under the console folder
   * @param contentType what it is served as
   * @param bytes its content
   * @param etag a strong validator of the content (quoted), for {@code If-None-Match}
   */
  public record File(String path, String contentType, byte[] bytes, String etag) {
    public File {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(contentType, "contentType");
      bytes = bytes.clone();
    }

    /** Its content. */
    @Override
    public byte[] bytes() {
      return bytes.clone();
    }

    /** True when {@code ifNoneMatch} (a request's header, possibly a list or {@code *}) names this version. */
    public boolean matches(String ifNoneMatch) {
      if (ifNoneMatch == null) {
        return false;
      }
      for (String tag : ifNoneMatch.split(",")) {
        String t = tag.strip();
        // a weak comparison, as If-None-Match asks: W/"x" matches "x"
        if (t.equals("*") || (t.startsWith("W/") ? t.substring(2) : t).equals(etag)) {
          return true;
        }
      }
      return false;
    }
  }

  /** The console packaged with the app. */
  public static ConsoleFiles bundled() {
    return BUNDLED;
  }

  /** The console folder as {@code classes} see it (a test's own class loader, say). */
  public ConsoleFiles(ClassLoader classes) {
    this.classes = Objects.requireNonNull(classes, "classes");
  }

  /**
   * The file at {@code path} under the console folder; {@link #INDEX} for an empty path.
   *
   * @throws BadRequestException when the path has a segment that is not a plain name ({@code .},
   *     {@code ..}, empty, a backslash …): such a path would name something outside the folder
   * @throws NotFoundException when the console has no such file
   */
  public File find(String path) {
    String wanted = path == null || path.isEmpty() ? INDEX : path;
    for (String segment : wanted.split("/", -1)) {
      if (!SEGMENT.matcher(segment).matches()) {
        throw new BadRequestException("path: '" + wanted + "' is not a console file: each part must be a plain name"
            + " (letters, digits, '.', '_', '-', not starting with a dot)");
      }
    }
    File file = read.get(wanted);
    if (file == null) {
      // misses are not kept: names a client makes up must not grow the map
      file = load(wanted).orElseThrow(() -> new NotFoundException("the console has no file '" + wanted + "'"));
      read.putIfAbsent(wanted, file);
    }
    return file;
  }

  private Optional<File> load(String path) {
    int dot = path.lastIndexOf('.');
    String type = dot < 0 ? null : TYPES.get(path.substring(dot + 1).toLowerCase(Locale.ROOT));
    if (type == null) {
      // only files of the types above are served: a folder, or anything else that sits beside them, is not
      return Optional.empty();
    }
    try (InputStream in = classes.getResourceAsStream(FOLDER + path)) {
      if (in == null) {
        return Optional.empty();
      }
      byte[] bytes = in.readAllBytes();
      return Optional.of(new File(path, type, bytes, etag(bytes)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the console's " + path + ": " + e.getMessage(), e);
    }
  }

  private static String etag(byte[] bytes) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
      return "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }
}
