package io.realtimeai.pipeline.image;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.RenderedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.IntBinaryOperator;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/** Images encoded by ImageIO inside the tests, so that no image file is committed. */
final class TestImages {
  static final int RED = 0xFF0000;
  static final int BLUE = 0x0000FF;

  private TestImages() {}

  /** An RGB image whose pixel (x, y) is {@code rgb.applyAsInt(x, y)} as 0xRRGGBB. */
  static BufferedImage rgb(int width, int height, IntBinaryOperator rgb) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, rgb.applyAsInt(x, y));
      }
    }
    return image;
  }

  /** An image of one colour. */
  static BufferedImage solid(int width, int height, int rgb) {
    return rgb(width, height, (x, y) -> rgb);
  }

  /** Left half red, right half blue. */
  static BufferedImage redLeftBlueRight(int width, int height) {
    return rgb(width, height, (x, y) -> x < width / 2 ? RED : BLUE);
  }

  /** A single-band image of the given type (gray, 16-bit gray) with every sample {@code value}. */
  static BufferedImage filled(int width, int height, int type, int value) {
    BufferedImage image = new BufferedImage(width, height, type);
    WritableRaster raster = image.getRaster();
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        for (int b = 0; b < raster.getNumBands(); b++) {
          raster.setSample(x, y, b, value);
        }
      }
    }
    return image;
  }

  /** A palette image: pixels alternate between palette entries 0 and 1, column by column. */
  static BufferedImage palette(int width, int height, int rgb0, int rgb1) {
    byte[] r = {(byte) (rgb0 >> 16), (byte) (rgb1 >> 16)};
    byte[] g = {(byte) (rgb0 >> 8), (byte) (rgb1 >> 8)};
    byte[] b = {(byte) rgb0, (byte) rgb1};
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_INDEXED,
        new IndexColorModel(8, 2, r, g, b));
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.getRaster().setSample(x, y, 0, x % 2);
      }
    }
    return image;
  }

  /** {@code image} as shown under EXIF orientation 1–8 (5–8 swap width and height). */
  static BufferedImage oriented(BufferedImage image, int orientation) {
    int w = image.getWidth();
    int h = image.getHeight();
    boolean turned = orientation >= 5;
    BufferedImage shown = new BufferedImage(turned ? h : w, turned ? w : h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < shown.getHeight(); y++) {
      for (int x = 0; x < shown.getWidth(); x++) {
        shown.setRGB(x, y, switch (orientation) {
          case 1 -> image.getRGB(x, y);
          case 2 -> image.getRGB(w - 1 - x, y);
          case 3 -> image.getRGB(w - 1 - x, h - 1 - y);
          case 4 -> image.getRGB(x, h - 1 - y);
          case 5 -> image.getRGB(y, x);
          case 6 -> image.getRGB(y, h - 1 - x);
          case 7 -> image.getRGB(w - 1 - y, h - 1 - x);
          case 8 -> image.getRGB(w - 1 - y, x);
          default -> throw new IllegalArgumentException("orientation " + orientation);
        });
      }
    }
    return shown;
  }

  /** {@code image} encoded as {@code format} ("jpeg", "png", "bmp", "gif") by ImageIO. */
  static byte[] encode(RenderedImage image, String format) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, format, out)) {
        throw new IllegalArgumentException("ImageIO has no " + format + " writer for " + image);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** A GIF holding the given frames, in order. */
  static byte[] animatedGif(BufferedImage... frames) {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ImageOutputStream stream = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(stream);
      writer.prepareWriteSequence(null);
      for (BufferedImage frame : frames) {
        writer.writeToSequence(new IIOImage(frame, null, null), null);
      }
      writer.endWriteSequence();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  /**
   * {@code jpeg} with an APP1 Exif segment right after SOI whose IFD0 holds one entry: Orientation
   * (tag 0x0112, SHORT) = {@code orientation}, in a big-endian TIFF structure.
   */
  static byte[] withExifOrientation(byte[] jpeg, int orientation) {
    ByteBuffer tiff = ByteBuffer.allocate(26)
        .put("MM".getBytes(StandardCharsets.US_ASCII)).putShort((short) 42).putInt(8)
        .putShort((short) 1)
        .putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0)
        .putInt(0);
    byte[] preamble = "Exif\0\0".getBytes(StandardCharsets.US_ASCII);
    int length = 2 + preamble.length + tiff.capacity();
    ByteBuffer out = ByteBuffer.allocate(jpeg.length + 2 + length)
        .put((byte) 0xFF).put((byte) 0xD8)
        .put((byte) 0xFF).put((byte) 0xE1).putShort((short) length)
        .put(preamble).put(tiff.array())
        .put(jpeg, 2, jpeg.length - 2);
    return out.array();
  }

  /** A PNG of only a signature, an IHDR claiming {@code width}×{@code height} RGB, and IEND. */
  static byte[] pngHeader(int width, int height) {
    ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height)
        .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
    ByteBuffer out = ByteBuffer.allocate(8 + 25 + 12)
        .put(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
    chunk(out, "IHDR", ihdr.array());
    chunk(out, "IEND", new byte[0]);
    return out.array();
  }

  private static void chunk(ByteBuffer out, String type, byte[] data) {
    byte[] name = type.getBytes(StandardCharsets.US_ASCII);
    CRC32 crc = new CRC32();
    crc.update(name);
    crc.update(data);
    out.putInt(data.length).put(name).put(data).putInt((int) crc.getValue());
  }
}
