package io.realtimeai.error;

import java.util.regex.Pattern;

/** Jackson's error messages made fit for whoever sent the JSON: one line, no source trailer, no Java package names. */
public final class JsonMessages {
  // "[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 12]"
  private static final Pattern SOURCE = Pattern.compile("\\[Source: [^;\\]]*(?:\\([^)]*\\))?[^;\\]]*; (line: \\d+, column: \\d+)\\]");
  private static final Pattern QUALIFIED = Pattern.compile("\\b(?:[a-z_][a-z0-9_]*\\.)+([A-Z][\\w$]*)");

  private JsonMessages() {}

  /** The first line of {@code originalMessage} (Jackson's, without location), readable by a client. */
  public static String readable(String originalMessage) {
    if (originalMessage == null) {
      return "malformed";
    }
    String line = originalMessage.lines().findFirst().orElse("");
    line = SOURCE.matcher(line).replaceAll("$1");
    // java.lang.Integer reads as Integer, io.realtimeai.scoring.ScoringJob as ScoringJob
    return QUALIFIED.matcher(line).replaceAll(m -> m.group(1).replace('$', '.'));
  }
}
