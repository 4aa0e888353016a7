package io.realtimeai.error;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import java.util.regex.Pattern;

/** Jackson's error messages made fit for whoever sent the JSON: one line, no source trailer, no Java package names. */
public final class JsonMessages {
  // "[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 12]"
  private static final Pattern SOURCE = Pattern.compile("\\[Source: [^;\\]]*(?:\\([^)]*\\))?[^;\\]]*; (line: \\d+, column: \\d+)\\]");
  private static final Pattern QUALIFIED = Pattern.compile("\\b(?:[a-z_][a-z0-9_]*\\.)+([A-Z][\\w$]*)");

  // "… exceeds the maximum allowed (1000, from `StreamReadConstraints.getMaxNumberLength()`)"
  private static final Pattern LIMIT_SOURCE = Pattern.compile(", from `[^`]*`");

  private JsonMessages() {}

  /**
   * What is wrong with a JSON text Jackson could not read: {@code invalid JSON at line 3, column 7: …}, or, for a
   * text past Jackson's read limits (a number of over 1,000 digits, a name of over 50,000 characters, nesting over
   * 1,000 deep), which limit;
   * those carry no location.
   */
  public static String invalid(JsonProcessingException e) {
    if (e instanceof StreamConstraintsException) {
      return "past a limit of the JSON reader: " + LIMIT_SOURCE.matcher(readable(e.getOriginalMessage())).replaceAll("");
    }
    JsonLocation at = e.getLocation();
    return "invalid JSON" + (at == null || at.getLineNr() < 1 ? "" : " at line " + at.getLineNr() + ", column "
        + at.getColumnNr()) + ": " + readable(e.getOriginalMessage());
  }

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
