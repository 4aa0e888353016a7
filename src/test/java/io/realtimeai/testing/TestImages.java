package io.realtimeai.testing;

import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;

/** Encoded images made on the spot for tests: real encoder output, nothing committed. */
public final class TestImages {
  private TestImages() {}

  /** A {@code width}×{@code height} picture with gradients, encoded as {@code format} (jpg, png, bmp, gif). */
  public static byte[] picture(String format, int width, int height) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D g = image.createGraphics();
    g.setPaint(new GradientPaint(0, 0, Color.ORANGE, width, height, Color.BLUE));
    g.fillRect(0, 0, width, height);
    g.setColor(Color.WHITE);
    g.fillOval(width / 4, height / 4, width / 2, height / 2);
    g.dispose();
    return encode(image, format);
  }

  /** A 224×224 JPEG picture. */
  public static byte[] jpeg() {
    return picture("jpg", 224, 224);
  }

  /** A 32×32 JPEG of one colour picked by {@code n}: the tiny classifier answers distinct colours distinctly. */
  public static byte[] colour(int n) {
    BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D g = image.createGraphics();
    g.setColor(new Color((n * 53) % 256, (n * 97 + 40) % 256, (n * 151 + 80) % 256));
    g.fillRect(0, 0, 32, 32);
    g.dispose();
    return encode(image, "jpg");
  }

  /** Encodes an image with ImageIO. */
  public static byte[] encode(BufferedImage image, String format) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, format, out)) {
        throw new IllegalArgumentException("no ImageIO writer for " + format);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** The first half of a JPEG. */
  public static byte[] truncatedJpeg() {
    byte[] whole = picture("jpg", 640, 480);
    return Arrays.copyOf(whole, whole.length / 2);
  }

  /**
   * A PNG of a few bytes whose header claims {@code width}×{@code height}: decoding it would
   * allocate gigabytes, so it must be refused from the header.
   */
  public static byte[] pngHeaderClaiming(int width, int height) {
    ByteBuffer png = ByteBuffer.allocate(8 + 25 + 12 + 12);
    png.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    ByteBuffer ihdr = ByteBuffer.allocate(17);
    ihdr.put(new byte[] {'I', 'H', 'D', 'R'}).putInt(width).putInt(height)
        .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
    chunk(png, ihdr.array());
    chunk(png, new byte[] {'I', 'D', 'A', 'T'});
    chunk(png, new byte[] {'I', 'E', 'N', 'D'});
    return Arrays.copyOf(png.array(), png.position());
  }

  private static void chunk(ByteBuffer png, byte[] typeAndData) {
    png.putInt(typeAndData.length - 4).put(typeAndData);
    CRC32 crc = new CRC32();
    crc.update(typeAndData);
    png.putInt((int) crc.getValue());
  }
}
