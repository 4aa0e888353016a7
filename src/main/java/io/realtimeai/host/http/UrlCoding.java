package io.realtimeai.host.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Percent-decoding of paths and query strings. Lenient like ASP.NET Core: a malformed escape is
 * kept as written rather than failing the request.
 */
final class UrlCoding {
  private UrlCoding() {}

  /** Decodes one path segment; {@code +} stays a plus sign in a path. */
  static String decodePath(String raw) {
    return decode(raw, false);
  }

  /** Decodes a query-string name or value; {@code +} is a space there. */
  static String decodeQuery(String raw) {
    return decode(raw, true);
  }

  /**
   * The parameters of a raw query string, decoded, names ignoring case. A name given more than once
   * has its values joined with commas, as the Functions host hands them to the worker.
   */
  static Map<String, String> parseQuery(String rawQuery) {
    Map<String, String> parameters = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    if (rawQuery == null || rawQuery.isEmpty()) {
      return Collections.unmodifiableMap(parameters);
    }
    for (String pair : rawQuery.split("&")) {
      int equals = pair.indexOf('=');
      String name = decodeQuery(equals < 0 ? pair : pair.substring(0, equals));
      String value = equals < 0 ? "" : decodeQuery(pair.substring(equals + 1));
      if (!name.isEmpty()) {
        parameters.merge(name, value, (first, second) -> first + "," + second);
      }
    }
    return Collections.unmodifiableMap(parameters);
  }

  private static String decode(String raw, boolean plusIsSpace) {
    if (raw.indexOf('%') < 0 && !(plusIsSpace && raw.indexOf('+') >= 0)) {
      return raw;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%' && i + 2 < raw.length() && hex(raw.charAt(i + 1)) >= 0 && hex(raw.charAt(i + 2)) >= 0) {
        bytes.write(hex(raw.charAt(i + 1)) * 16 + hex(raw.charAt(i + 2)));
        i += 2;
      } else if (c == '+' && plusIsSpace) {
        bytes.write(' ');
      } else {
        byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (Character.isHighSurrogate(c) && i + 1 < raw.length()) {
          encoded = raw.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
          i++;
        }
        bytes.writeBytes(encoded);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static int hex(char c) {
    return Character.digit(c, 16);
  }
}
