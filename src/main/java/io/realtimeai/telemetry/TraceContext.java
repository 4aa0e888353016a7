package io.realtimeai.telemetry;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A W3C trace context ({@code traceparent}, https://www.w3.org/TR/trace-context/): the trace an
 * operation belongs to and the span that stands for it. The scoring function adopts the caller's
 * trace (or starts one), sends its own span to the runtime in gRPC metadata, and the runtime
 * answers with its span of the same trace.
 *
 * @param traceId 32 lowercase hex digits, not all zero
 * @param spanId 16 lowercase hex digits, not all zero
 * @param flags the trace flags, 2 lowercase hex digits ({@code 01}: sampled)
 */
public record TraceContext(String traceId, String spanId, String flags) {
  /** The header (HTTP) and metadata key (gRPC) that carries it. */
  public static final String HEADER = "traceparent";

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HexFormat HEX = HexFormat.of();
  // version-traceid-spanid-flags; a later version may append fields after a dash, version ff is invalid.
  private static final Pattern TRACEPARENT =
      Pattern.compile("([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?");
  private static final Pattern TRACE_ID = Pattern.compile("[0-9a-f]{32}");
  private static final Pattern SPAN_ID = Pattern.compile("[0-9a-f]{16}");
  private static final Pattern FLAGS = Pattern.compile("[0-9a-f]{2}");

  public TraceContext {
    if (traceId == null || !TRACE_ID.matcher(traceId).matches() || traceId.chars().allMatch(c -> c == '0')) {
      throw new IllegalArgumentException("a trace id is 32 lowercase hex digits, not all zero, got '" + traceId + "'");
    }
    if (spanId == null || !SPAN_ID.matcher(spanId).matches() || spanId.chars().allMatch(c -> c == '0')) {
      throw new IllegalArgumentException("a span id is 16 lowercase hex digits, not all zero, got '" + spanId + "'");
    }
    if (flags == null || !FLAGS.matcher(flags).matches()) {
      throw new IllegalArgumentException("trace flags are 2 lowercase hex digits, got '" + flags + "'");
    }
  }

  /**
   * The context a {@code traceparent} value carries, or empty when it is absent or malformed
   * (a receiver then starts a new trace, as the specification asks, rather than failing the call).
   */
  public static Optional<TraceContext> parse(String header) {
    if (header == null) {
      return Optional.empty();
    }
    Matcher m = TRACEPARENT.matcher(header.strip());
    if (!m.matches() || m.group(1).equals("ff") || (m.group(1).equals("00") && m.group(5) != null)) {
      return Optional.empty();
    }
    try {
      return Optional.of(new TraceContext(m.group(2), m.group(3), m.group(4)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** A new trace, sampled, with a random trace id and span id. */
  public static TraceContext newTrace() {
    return new TraceContext(randomHex(16), randomHex(8), "01");
  }

  /** The span of an operation called within this one: the same trace and flags, a new span id. */
  public TraceContext child() {
    return new TraceContext(traceId, randomHex(8), flags);
  }

  /** The {@code traceparent} value: {@code 00-<trace id>-<span id>-<flags>}. */
  public String header() {
    return "00-" + traceId + "-" + spanId + "-" + flags;
  }

  @Override
  public String toString() {
    return header();
  }

  private static String randomHex(int bytes) {
    byte[] random = new byte[bytes];
    do {
      RANDOM.nextBytes(random);
    } while (allZero(random));
    return HEX.formatHex(random);
  }

  private static boolean allZero(byte[] bytes) {
    for (byte b : bytes) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }
}
