package io.realtimeai.scoring;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.realtimeai.error.BadRequestException;
import io.realtimeai.error.PayloadTooLargeException;
import io.realtimeai.error.UnsupportedMediaTypeException;
import io.realtimeai.pipeline.image.ImagePreprocessor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.commons.fileupload.FileUploadBase;
import org.apache.commons.fileupload.MultipartStream;
import org.apache.commons.fileupload.ParameterParser;

/**
 * Reads the images of a scoring request from its body, in the forms clients send: one raw image
 * ({@code image/jpeg}, {@code image/png}, {@code image/bmp}, {@code image/gif}, or
 * {@code application/octet-stream} / no type with the bytes recognised), the file parts of
 * {@code multipart/form-data}, or JSON {@code {"images": ["<base64>", …]}} (or {@code "image"}).
 * Every refusal names the problem: 400 for a malformed body, 413 for an image above the runtime's
 * message limit, 415 for another media type.
 */
public final class ImageRequests {
  /** The most images one Predict call takes (the runtime's batch limit). */
  public static final int MAX_IMAGES = 64;
  /** The runtime's default message limit ({@code --max-message-bytes}): no image, and no batch, can be larger. */
  public static final long MAX_BYTES = 64L << 20;
  /** The limits of the runtime as the app deploys it. */
  public static final ImageRequests DEFAULT = new ImageRequests(MAX_IMAGES, MAX_BYTES);

  static final String ACCEPTED = "image/jpeg, image/png, image/bmp or image/gif (the image's bytes), "
      + "application/octet-stream (the bytes of a JPEG, PNG, BMP or GIF image), multipart/form-data (one file part "
      + "per image) or application/json ({\"images\": [\"<base64>\", …]})";

  private static final Set<String> IMAGE_TYPES = Set.of("image/jpeg", "image/jpg", "image/pjpeg", "image/png", "image/x-png",
      "image/bmp", "image/x-bmp", "image/x-ms-bmp", "image/gif");
  /**
   * Base64 of an image up to {@link #MAX_BYTES} in one JSON string: 4 characters per 3 bytes, and line breaks if a MIME
   * tool wrote it. Jackson's own limit, 20 million characters, would refuse a 15 MB image the API accepts.
   */
  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxStringLength((int) (MAX_BYTES / 3 * 4 * 105 / 100)).build())
      .build();
  private static final byte[] NONE = new byte[0];
  /** The longest multipart boundary RFC 2046 allows. */
  static final int MAX_BOUNDARY = 70;

  private final int maxImages;
  private final long maxBytes;

  /** A reader that refuses more than {@code maxImages} images and images (or a batch) above {@code maxBytes}. */
  public ImageRequests(int maxImages, long maxBytes) {
    this.maxImages = maxImages;
    this.maxBytes = maxBytes;
  }

  /**
   * The images of a body, in order.
   *
   * @param contentType the request's {@code Content-Type}, or null when it has none
   * @param body the body's bytes (null or empty for none)
   */
  public List<byte[]> read(String contentType, byte[] body) {
    byte[] bytes = body == null ? NONE : body;
    Map<String, String> parameters = parameters(contentType);
    String type = mediaType(contentType);
    List<byte[]> images;
    if (type.isEmpty() || type.equals("application/octet-stream")) {
      images = List.of(sniffed(type, bytes));
    } else if (IMAGE_TYPES.contains(type)) {
      images = bytes.length == 0 ? List.of() : List.of(bytes);
    } else if (type.equals("multipart/form-data")) {
      images = multipart(parameters.get("boundary"), bytes);
    } else if (type.equals("application/json") || type.endsWith("+json")) {
      images = json(bytes);
    } else {
      throw new UnsupportedMediaTypeException("Content-Type '" + type + "' is not accepted: send " + ACCEPTED);
    }
    return checked(images);
  }

  private List<byte[]> checked(List<byte[]> images) {
    if (images.isEmpty()) {
      throw new BadRequestException("no image in the request: send " + ACCEPTED);
    }
    if (images.size() > maxImages) {
      throw new BadRequestException("at most " + maxImages + " images per call, got " + images.size()
          + ": split them over several calls");
    }
    long total = 0;
    for (int i = 0; i < images.size(); i++) {
      long size = images.get(i).length;
      if (size > maxBytes) {
        throw new PayloadTooLargeException("image " + i + " is " + size + " bytes, above the " + maxBytes
            + " bytes a scoring service takes in one call");
      }
      total += size;
    }
    if (total > maxBytes) {
      throw new PayloadTooLargeException("the " + images.size() + " images add up to " + total + " bytes, above the "
          + maxBytes + " bytes a scoring service takes in one call: split them over several calls");
    }
    return images;
  }

  /** A body of unnamed type is scored only when its bytes are an image the runtime decodes. */
  private static byte[] sniffed(String type, byte[] bytes) {
    if (bytes.length == 0) {
      throw new BadRequestException("no image in the request: send " + ACCEPTED);
    }
    if (!ImagePreprocessor.isImage(bytes)) {
      throw new UnsupportedMediaTypeException("the body" + (type.isEmpty() ? " (no Content-Type)" : " (" + type + ")")
          + " is not a JPEG, PNG, BMP or GIF image (it starts with 0x" + hex(bytes) + "): send " + ACCEPTED);
    }
    return bytes;
  }

  private List<byte[]> multipart(String boundary, byte[] body) {
    if (boundary == null || boundary.isEmpty()) {
      throw new BadRequestException("Content-Type: multipart/form-data needs its boundary parameter "
          + "(multipart/form-data; boundary=…)");
    }
    if (boundary.length() > MAX_BOUNDARY) {
      throw new BadRequestException("Content-Type: the multipart boundary is " + boundary.length() + " characters long;"
          + " at most " + MAX_BOUNDARY + " (RFC 2046)");
    }
    List<byte[]> images = new ArrayList<>();
    int part = 0;
    try {
      // The whole body is in memory already (the host read it under its limit); the stream only splits it.
      MultipartStream stream = new MultipartStream(new ByteArrayInputStream(body), boundary.getBytes(StandardCharsets.ISO_8859_1),
          64 * 1024, null);
      stream.setHeaderEncoding(StandardCharsets.UTF_8.name());
      if (!stream.skipPreamble()) {
        throw new BadRequestException("multipart body: no part starts with the boundary '--" + boundary + "'");
      }
      boolean more = true;
      while (more) {
        Map<String, String> headers = partHeaders(stream.readHeaders());
        if (isFile(headers)) {
          ByteArrayOutputStream data = new ByteArrayOutputStream();
          stream.readBodyData(data);
          // A browser's form sends a file input left empty as a part with no bytes: nothing to score.
          if (data.size() > 0) {
            images.add(data.toByteArray());
          }
        } else {
          stream.discardBodyData();
        }
        part++;
        more = stream.readBoundary();
      }
    } catch (MultipartStream.MalformedStreamException e) {
      throw new BadRequestException("multipart body: part " + part + " is cut off or malformed (" + e.getMessage()
          + "); every part must end with the boundary '--" + boundary + "', the last with '--" + boundary + "--'", e);
    } catch (FileUploadBase.FileUploadIOException e) {
      throw new BadRequestException("multipart body: the headers of part " + part + " are larger than "
          + MultipartStream.HEADER_PART_SIZE_MAX + " bytes", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (images.isEmpty()) {
      throw new BadRequestException("multipart body: no file part among its " + part + " part(s): send each image as a file"
          + " (Content-Disposition: form-data; name=\"image\"; filename=\"photo.jpg\"; curl -F image=@photo.jpg)");
    }
    return images;
  }

  /** A part is an image when it is a file (it has a filename) or says it is image or binary data. */
  private static boolean isFile(Map<String, String> headers) {
    String disposition = headers.get("content-disposition");
    if (disposition != null && parameters(disposition).containsKey("filename")) {
      return true;
    }
    String type = mediaType(headers.get("content-type"));
    return type.startsWith("image/") || type.equals("application/octet-stream");
  }

  private static Map<String, String> partHeaders(String text) {
    Map<String, String> headers = new HashMap<>();
    for (String line : text.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        headers.put(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
      }
    }
    return headers;
  }

  private static List<byte[]> json(byte[] body) {
    List<byte[]> images = new ArrayList<>();
    boolean seen = false;
    try (JsonParser parser = JSON.createParser(body)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new BadRequestException("body: must be a JSON object {\"images\": [\"<base64>\", …]}");
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        if (!field.equals("images") && !field.equals("image")) {
          throw new BadRequestException("body: unknown field '" + field + "': send {\"images\": [\"<base64>\", …]}");
        }
        if (seen) {
          throw new BadRequestException("body: send either 'image' or 'images', once");
        }
        seen = true;
        if (field.equals("image")) {
          images.add(base64("image", parser, value));
        } else if (value == JsonToken.START_ARRAY) {
          while ((value = parser.nextToken()) != JsonToken.END_ARRAY) {
            images.add(base64("images[" + images.size() + "]", parser, value));
          }
        } else {
          throw new BadRequestException("images: must be an array of base64 strings");
        }
      }
      if (parser.nextToken() != null) {
        throw new BadRequestException("body: unexpected content after the JSON object");
      }
    } catch (JsonProcessingException e) {
      throw new BadRequestException("body: " + io.realtimeai.error.JsonMessages.invalid(e), e);
    } catch (IOException e) {
      // The body is in memory: what is left is text Jackson cannot decode (a UTF-32 guess on odd bytes, say).
      throw new BadRequestException("body: not JSON text in UTF-8: " + e.getMessage(), e);
    }
    return images;
  }

  private static byte[] base64(String where, JsonParser parser, JsonToken value) throws IOException {
    if (value != JsonToken.VALUE_STRING) {
      throw new BadRequestException(where + ": must be a base64 string, got " + describe(value));
    }
    String text = parser.getText().strip();
    // Browsers' FileReader.readAsDataURL answers "data:image/png;base64,…": the prefix is not the image.
    if (text.startsWith("data:") && text.indexOf(',') > 0) {
      text = text.substring(text.indexOf(',') + 1);
    }
    if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
      // base64 as MIME tools write it, in lines
      text = text.replace("\r", "").replace("\n", "");
    }
    if (text.isEmpty()) {
      throw new BadRequestException(where + ": empty; it must hold an image, base64-encoded");
    }
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      try {
        return Base64.getUrlDecoder().decode(text);
      } catch (IllegalArgumentException again) {
        throw new BadRequestException(where + ": not valid base64 (" + e.getMessage() + ")", e);
      }
    }
  }

  private static String describe(JsonToken token) {
    return switch (token) {
      case START_OBJECT -> "an object";
      case START_ARRAY -> "an array";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "null";
      default -> token.name();
    };
  }

  private static String mediaType(String contentType) {
    if (contentType == null) {
      return "";
    }
    int semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
  }

  private static Map<String, String> parameters(String header) {
    if (header == null) {
      return Map.of();
    }
    ParameterParser parser = new ParameterParser();
    parser.setLowerCaseNames(true);
    return parser.parse(header, ';');
  }

  private static String hex(byte[] bytes) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < Math.min(8, bytes.length); i++) {
      text.append(String.format(Locale.ROOT, "%02X", bytes[i] & 0xFF));
    }
    return text.toString();
  }
}
