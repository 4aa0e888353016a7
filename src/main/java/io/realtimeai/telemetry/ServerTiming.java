package io.realtimeai.telemetry;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The W3C {@code Server-Timing} header (https://www.w3.org/TR/server-timing/) as the runtime and the
 * app write it: {@code name;dur=milliseconds} entries, comma-separated, e.g.
 * {@code preprocess;dur=3.1, queue;dur=0.2, inference;dur=11.4}.
 */
public final class ServerTiming {
  /** The header (HTTP) and metadata key (gRPC, lowercase) that carries it. */
  public static final String HEADER = "server-timing";

  private ServerTiming() {}

  /** The header value for {@code durations} (milliseconds, in order). */
  public static String format(Map<String, Double> durations) {
    StringJoiner joined = new StringJoiner(", ");
    durations.forEach((name, ms) -> joined.add(String.format(Locale.ROOT, "%s;dur=%.3f", name, ms)));
    return joined.toString();
  }

  /** The durations of a header value by name (milliseconds); entries without a readable {@code dur} are skipped. */
  public static Map<String, Double> parse(String header) {
    Map<String, Double> durations = new LinkedHashMap<>();
    if (header == null) {
      return durations;
    }
    for (String entry : header.split(",")) {
      String[] parts = entry.strip().split(";");
      for (int i = 1; i < parts.length; i++) {
        String param = parts[i].strip();
        if (param.startsWith("dur=")) {
          try {
            durations.put(parts[0].strip(), Double.parseDouble(param.substring(4).replace("\"", "")));
          } catch (NumberFormatException e) {
            // not a duration: skipped
          }
        }
      }
    }
    return durations;
  }

  /** Milliseconds from nanoseconds, to the microsecond. */
  public static double millis(long nanos) {
    return Math.round(nanos / 1_000.0) / 1_000.0;
  }
}
