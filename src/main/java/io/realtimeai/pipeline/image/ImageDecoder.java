package io.realtimeai.pipeline.image;

import com.drew.imaging.jpeg.JpegSegmentReader;
import com.drew.imaging.jpeg.JpegSegmentType;
import com.drew.lang.SequentialByteArrayReader;
import com.drew.metadata.Metadata;
import com.drew.metadata.exif.ExifIFD0Directory;
import com.drew.metadata.exif.ExifReader;
import io.realtimeai.error.RealtimeAiException;
import io.realtimeai.error.UnprocessableException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.function.IntBinaryOperator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes JPEG, PNG, BMP and GIF (first frame) bytes with ImageIO into {@link Pixels} in display
 * orientation, refusing an image above the pixel budget from its header, before any pixel is decoded.
 */
final class ImageDecoder {
  private ImageDecoder() {}

  /** The formats taken, each recognised by its leading bytes (never by a name the caller gives). */
  enum Format {
    JPEG("jpeg", new int[] {0xFF, 0xD8, 0xFF}),
    PNG("png", new int[] {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}),
    GIF("gif", new int[] {'G', 'I', 'F', '8'}),
    BMP("bmp", new int[] {'B', 'M'});

    private final int[] magic;
    // Resolved once: asking the registry per image costs more than decoding a small one.
    private final ImageReaderSpi reader;

    Format(String imageIoName, int[] magic) {
      this.magic = magic;
      ImageReader any = ImageIO.getImageReadersByFormatName(imageIoName).next();
      this.reader = any.getOriginatingProvider();
      any.dispose();
    }

    static Format sniff(byte[] bytes) {
      for (Format format : values()) {
        if (startsWith(bytes, format.magic)) {
          return format;
        }
      }
      return null;
    }

    private static boolean startsWith(byte[] bytes, int[] magic) {
      if (bytes.length < magic.length) {
        return false;
      }
      for (int i = 0; i < magic.length; i++) {
        if ((bytes[i] & 0xFF) != magic[i]) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * A decoded image.
   *
   * @param pixels the decoded pixels in display orientation, possibly subsampled
   * @param width full-resolution width in display orientation
   * @param height full-resolution height in display orientation
   * @param subsampling the decoder kept one pixel in this many, along each axis
   * @param firstColumn the full-resolution column (display orientation) of the first decoded column
   * @param firstRow the full-resolution row (display orientation) of the first decoded row
   */
  record Decoded(Pixels pixels, int width, int height, int subsampling, int firstColumn, int firstRow) {
    /**
     * Where full-resolution coordinate {@code x} (pixel {@code i} spans {@code [i, i + 1)}) falls in
     * decoded coordinates along an axis whose first decoded pixel is full-resolution pixel {@code first}.
     */
    double toDecoded(double x, int first) {
      return (x - first - 0.5) / subsampling + 0.5;
    }
  }

  /**
   * Decodes {@code encoded}; {@code subsampling} maps the full-resolution display size to the
   * largest factor the caller can resample from (JPEG only: other decoders gain nothing from it).
   */
  static Decoded decode(byte[] encoded, long maxPixels, IntBinaryOperator subsampling) {
    if (encoded == null || encoded.length == 0) {
      throw new UnprocessableException("empty image (0 bytes)");
    }
    Format format = Format.sniff(encoded);
    if (format == null) {
      throw new UnprocessableException("not a JPEG, PNG, BMP or GIF image (starts with 0x" + hex(encoded, 8) + ")");
    }
    ImageReader reader;
    try {
      reader = format.reader.createReaderInstance();
    } catch (IOException e) {
      throw new IllegalStateException("ImageIO cannot create a " + format + " reader", e);
    }
    TruncationWatch truncation = new TruncationWatch();
    byte[] readable = format == Format.JPEG ? withoutIccProfile(encoded) : encoded;
    try (ImageInputStream input = new MemoryCacheImageInputStream(new ByteArrayInputStream(readable))) {
      reader.setInput(input, true, true);
      reader.addIIOReadWarningListener(truncation);
      // The header alone gives the size: a 30000×30000 PNG is refused without allocating its pixels.
      int storedWidth = reader.getWidth(0);
      int storedHeight = reader.getHeight(0);
      long pixelCount = (long) storedWidth * storedHeight;
      if (pixelCount > maxPixels) {
        throw new UnprocessableException(String.format(Locale.ROOT, "image is %d×%d (%.1f MP), above the %.1f MP limit",
            storedWidth, storedHeight, pixelCount / 1e6, maxPixels / 1e6));
      }
      int orientation = format == Format.JPEG ? exifOrientation(encoded) : 1;
      boolean turned = orientation >= 5;
      int width = turned ? storedHeight : storedWidth;
      int height = turned ? storedWidth : storedHeight;
      int factor = format == Format.JPEG ? Math.max(1, subsampling.applyAsInt(width, height)) : 1;
      ImageReadParam param = reader.getDefaultReadParam();
      if (factor > 1) {
        param.setSourceSubsampling(factor, factor, keptOffset(storedWidth, factor), keptOffset(storedHeight, factor));
      }
      BufferedImage image = reader.read(0, param);
      if (truncation.message != null) {
        throw new UnprocessableException("truncated or corrupt " + format + ": " + truncation.message);
      }
      // Orientations 2, 3, 6, 7 show the stored axis under the columns reversed; 3, 4, 7, 8 the one under the rows.
      boolean columnsFlipped = orientation == 2 || orientation == 3 || orientation == 6 || orientation == 7;
      boolean rowsFlipped = orientation == 3 || orientation == 4 || orientation == 7 || orientation == 8;
      int firstColumn = turned ? firstKept(storedHeight, image.getHeight(), factor, columnsFlipped)
          : firstKept(storedWidth, image.getWidth(), factor, columnsFlipped);
      int firstRow = turned ? firstKept(storedWidth, image.getWidth(), factor, rowsFlipped)
          : firstKept(storedHeight, image.getHeight(), factor, rowsFlipped);
      return new Decoded(Pixels.of(image, format.name()).oriented(orientation), width, height, factor,
          firstColumn, firstRow);
    } catch (RealtimeAiException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // Readers fail on corrupt data with IIOException, EOFException and, in places, unchecked exceptions.
      if (String.valueOf(e.getMessage()).contains("Unsupported Image Type")) {
        throw new UnprocessableException("unsupported colour model: " + format
            + " image with channels ImageIO cannot convert (CMYK or YCCK); convert it to RGB", e);
      }
      // A reader that ran out of data first says so in a warning; that is the clearer reason.
      String reason = truncation.message != null ? truncation.message : describe(e);
      throw new UnprocessableException("truncated or corrupt " + format + ": " + reason, e);
    } finally {
      reader.dispose();
    }
  }

  /**
   * The JPEG without its APP2 ICC_PROFILE segments. ImageIO turns an embedded profile into an
   * ICC colour space on every decode, which costs several milliseconds (a 500×416 photo decodes
   * in 6 ms with its profile, 1.5 ms without), and PIL, whose output models are trained on,
   * ignores the profile too: the decoded samples are the same either way. Anything malformed is
   * left as it is, for the decoder to report.
   */
  static byte[] withoutIccProfile(byte[] jpeg) {
    java.io.ByteArrayOutputStream out = null;
    int copied = 0;
    int i = 2;
    while (i + 4 <= jpeg.length && (jpeg[i] & 0xFF) == 0xFF) {
      int marker = jpeg[i + 1] & 0xFF;
      if (marker == 0xDA || marker == 0xD9) {
        break;
      }
      if (marker == 0x01 || marker >= 0xD0 && marker <= 0xD7 || marker == 0xFF) {
        i += marker == 0xFF ? 1 : 2;
        continue;
      }
      int end = i + 2 + (((jpeg[i + 2] & 0xFF) << 8) | (jpeg[i + 3] & 0xFF));
      if (end > jpeg.length) {
        return jpeg;
      }
      if (marker == 0xE2 && startsWith(jpeg, i + 4, ICC_PROFILE)) {
        if (out == null) {
          out = new java.io.ByteArrayOutputStream(jpeg.length);
        }
        out.write(jpeg, copied, i - copied);
        copied = end;
      }
      i = end;
    }
    if (out == null) {
      return jpeg;
    }
    out.write(jpeg, copied, jpeg.length - copied);
    return out.toByteArray();
  }

  private static final byte[] ICC_PROFILE = "ICC_PROFILE\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private static boolean startsWith(byte[] bytes, int at, byte[] prefix) {
    if (at + prefix.length > bytes.length) {
      return false;
    }
    for (int k = 0; k < prefix.length; k++) {
      if (bytes[at + k] != prefix[k]) {
        return false;
      }
    }
    return true;
  }

  /** Where subsampling starts along a stored axis: half the leftover pixels, so the kept ones are centred. */
  private static int keptOffset(int length, int factor) {
    return (length - 1) % factor / 2;
  }

  /** The full-resolution index, counted from the displayed edge, of the first of {@code kept} pixels kept. */
  private static int firstKept(int length, int kept, int factor, boolean flipped) {
    return flipped ? length - 1 - keptOffset(length, factor) - (kept - 1) * factor : keptOffset(length, factor);
  }

  /**
   * Turns libjpeg's truncation warnings into an error. ImageIO decodes a JPEG that ends early
   * without failing: it warns, fills the missing blocks with grey and returns the image. A
   * half-grey photo would be scored as if it were whole, so, as PIL refuses "image file is
   * truncated" unless told otherwise, such a file is refused. That includes a file that lacks
   * only its end-of-image marker: for a progressive JPEG that is also what a file cut between two
   * scans looks like. Other warnings (extraneous bytes before a marker) leave the image whole and
   * are accepted.
   */
  private static final class TruncationWatch implements IIOReadWarningListener {
    String message;

    @Override
    public void warningOccurred(ImageReader source, String warning) {
      if (message == null && (warning.contains("Missing EOI") || warning.contains("premature end"))) {
        message = "the data ends before the end of the image (" + warning + ")";
      }
    }
  }

  /** EXIF orientation 1–8 of a JPEG, 1 when absent or unreadable (the pixels are then shown as stored). */
  static int exifOrientation(byte[] jpeg) {
    try {
      // Reads the segments up to the start of scan only, not the compressed image.
      Iterable<byte[]> app1 = JpegSegmentReader.readSegments(new SequentialByteArrayReader(jpeg),
          List.of(JpegSegmentType.APP1)).getSegments(JpegSegmentType.APP1);
      Metadata metadata = new Metadata();
      new ExifReader().readJpegSegments(app1, metadata, JpegSegmentType.APP1);
      ExifIFD0Directory exif = metadata.getFirstDirectoryOfType(ExifIFD0Directory.class);
      Integer orientation = exif == null ? null : exif.getInteger(ExifIFD0Directory.TAG_ORIENTATION);
      return orientation != null && orientation >= 1 && orientation <= 8 ? orientation : 1;
    } catch (Exception e) {
      // metadata-extractor throws checked and unchecked exceptions on malformed segments; the
      // orientation is a refinement, and a file too broken to decode is reported by the decode.
      return 1;
    }
  }

  private static String describe(Throwable e) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      String part = t instanceof EOFException ? "unexpected end of data"
          : t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
      if (text.indexOf(part) < 0) {
        text.append(text.length() == 0 ? "" : ": ").append(part);
      }
    }
    return text.toString();
  }

  private static String hex(byte[] bytes, int max) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < Math.min(max, bytes.length); i++) {
      text.append(String.format(Locale.ROOT, "%02X", bytes[i] & 0xFF));
    }
    return text.toString();
  }
}
