package io.realtimeai.host.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.realtimeai.error.BadRequestException;
import io.realtimeai.error.PayloadTooLargeException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** Request bodies in (read under the size limit, converted to the function's type) and response bodies out. */
final class HttpBodies {
  /** The Functions host's limit on a request body: 100 MB. */
  static final long MAX_REQUEST_BYTES = 100L * 1024 * 1024;
  /** What is allocated for a body before its bytes arrive: its declared length, up to this. */
  static final long PREALLOCATED_BYTES = 1L << 20;

  /** Same leniency as the worker's binding (unknown properties ignored); dates written as ISO-8601 text. */
  static final ObjectMapper JSON = JsonMapper.builder()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .findAndAddModules()
      .build();

  private HttpBodies() {}

  /**
   * Reads a request body of at most {@code limit} bytes. A declared {@code Content-Length} over the
   * limit is refused before a byte is read; a body of unknown length (chunked) is counted as it is read.
   *
   * @param declaredLength the {@code Content-Length}, or -1 when absent
   * @throws PayloadTooLargeException when the body is larger than {@code limit}
   */
  static byte[] read(InputStream in, long declaredLength, long limit) throws IOException {
    if (declaredLength > limit) {
      throw tooLarge(limit);
    }
    if (declaredLength >= 0) {
      // A body of up to 1 MiB gets one array of exactly its size. A larger one starts at 1 MiB and the array doubles as
      // bytes arrive, up to the declared length, where it stops: a client that declares 100 MB and sends nothing holds
      // 1 MiB here, not 100 MB, and a body that came whole is that array, with no final copy.
      byte[] body = new byte[(int) Math.min(declaredLength, PREALLOCATED_BYTES)];
      int read = 0;
      while (read < declaredLength) {
        if (read == body.length) {
          body = Arrays.copyOf(body, (int) Math.min(declaredLength, 2L * body.length));
        }
        int n = in.read(body, read, body.length - read);
        if (n < 0) {
          throw new IOException("the request body ended after " + read + " of " + declaredLength + " bytes");
        }
        read += n;
      }
      return body;
    }
    // chunked: read one byte past the limit to know it was passed, and stop there
    byte[] body = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
    if (body.length > limit) {
      throw tooLarge(limit);
    }
    return body;
  }

  private static PayloadTooLargeException tooLarge(long limit) {
    return new PayloadTooLargeException("the request body is larger than " + limit + " bytes ("
        + limit / (1024 * 1024) + " MB), the most the Functions host accepts");
  }

  /**
   * Converts a body to what the function declared: {@code Optional<…>}, {@code String} (decoded with
   * the {@code Content-Type} charset, UTF-8 by default), {@code byte[]}, or any other type from JSON.
   * An empty body is {@code Optional.empty()} or null.
   *
   * @throws BadRequestException when the body is not JSON of that type
   */
  static Object convert(byte[] body, Type target, String contentType) {
    Class<?> raw = rawClass(target);
    if (raw == Optional.class) {
      Type inner = target instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : Object.class;
      return body.length == 0 ? Optional.empty() : Optional.ofNullable(convert(body, inner, contentType));
    }
    if (body.length == 0) {
      return null;
    }
    if (raw == String.class || raw == Object.class) {
      return new String(body, charset(contentType));
    }
    if (raw == byte[].class) {
      return body;
    }
    try {
      return JSON.readValue(body, JSON.constructType(target));
    } catch (JsonProcessingException e) {
      throw new BadRequestException("the request body is not valid JSON for " + raw.getSimpleName() + ": "
          + describe(e), e);
    } catch (IOException e) {
      throw new BadRequestException("the request body could not be read as " + raw.getSimpleName() + ": "
          + e.getMessage(), e);
    }
  }

  /**
   * The bytes and default content type of a response body: a {@code String} as UTF-8 text, a
   * {@code byte[]} as it is, anything else as JSON.
   *
   * @throws IllegalArgumentException when the object cannot be written as JSON
   */
  static Encoded encode(Object body) {
    if (body == null) {
      return new Encoded(new byte[0], null);
    }
    if (body instanceof byte[] bytes) {
      return new Encoded(bytes, "application/octet-stream");
    }
    if (body instanceof String text) {
      return new Encoded(text.getBytes(StandardCharsets.UTF_8), "text/plain; charset=utf-8");
    }
    try {
      return new Encoded(JSON.writeValueAsBytes(body), "application/json; charset=utf-8");
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the response body (" + body.getClass().getName()
          + ") cannot be written as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * A response body ready to send.
   *
   * @param bytes its bytes
   * @param contentType the content type it gets unless the function set one; null for none
   */
  record Encoded(byte[] bytes, String contentType) {}

  private static String describe(JsonProcessingException e) {
    StringBuilder text = new StringBuilder(firstLine(e.getOriginalMessage()));
    if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
      text.append(" (at ").append(mapping.getPathReference()).append(')');
    }
    JsonLocation location = e.getLocation();
    if (location != null && location.getLineNr() > 0) {
      text.append(" at line ").append(location.getLineNr()).append(", column ").append(location.getColumnNr());
    }
    return text.toString();
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "malformed";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  private static Charset charset(String contentType) {
    if (contentType != null) {
      for (String parameter : contentType.split(";")) {
        String[] pair = parameter.strip().split("=", 2);
        if (pair.length == 2 && pair[0].strip().toLowerCase(Locale.ROOT).equals("charset")) {
          try {
            return Charset.forName(pair[1].strip().replace("\"", ""));
          } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
            return StandardCharsets.UTF_8;
          }
        }
      }
    }
    return StandardCharsets.UTF_8;
  }

  static Class<?> rawClass(Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof ParameterizedType p) {
      return (Class<?>) p.getRawType();
    }
    return Object.class;
  }
}
