package io.realtimeai.pipeline.image;

import io.realtimeai.error.UnprocessableException;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;

/**
 * A read-only view of an 8-bit RGB image: channel {@code c} (0 red, 1 green, 2 blue) of pixel
 * {@code (x, y)} is {@code data[base + x * stepX + y * stepY + channel[c]] & 0xFF}.
 *
 * <p>The strides let one view serve every decoded layout (BGR, RGBA, gray with all three channels
 * at offset 0) without copying, and let an EXIF orientation be a change of strides rather than a
 * copy of the pixels.
 */
record Pixels(byte[] data, int width, int height, int base, int stepX, int stepY, int[] channel) {

  /** Views a decoded image, copying only when its samples are not 8-bit interleaved bytes. */
  static Pixels of(BufferedImage image, String format) {
    Raster raster = image.getRaster();
    int width = image.getWidth();
    int height = image.getHeight();
    if (!(image.getColorModel() instanceof ComponentColorModel colorModel)) {
      return packed(image);
    }
    int bands = raster.getNumBands();
    int[] channels = switch (colorModel.getColorSpace().getType()) {
      case ColorSpace.TYPE_RGB -> new int[] {0, 1, 2};
      case ColorSpace.TYPE_GRAY -> new int[] {0, 0, 0};
      default -> throw new UnprocessableException("unsupported colour model: " + format + " image in "
          + colourSpaceName(colorModel.getColorSpace()) + " (" + bands + " channels); convert it to RGB or grayscale");
    };
    if (raster.getDataBuffer() instanceof DataBufferByte buffer
        && raster.getSampleModel() instanceof ComponentSampleModel model
        && buffer.getNumBanks() == 1) {
      int[] offsets = model.getBandOffsets();
      int base = buffer.getOffset()
          - raster.getSampleModelTranslateX() * model.getPixelStride()
          - raster.getSampleModelTranslateY() * model.getScanlineStride();
      return new Pixels(buffer.getData(), width, height, base, model.getPixelStride(), model.getScanlineStride(),
          new int[] {offsets[channels[0]], offsets[channels[1]], offsets[channels[2]]});
    }
    // 16-bit PNGs keep the high byte of each sample, as PIL's RGB;16B unpacker does.
    int shift = Math.max(0, colorModel.getComponentSize(0) - 8);
    byte[] rgb = new byte[width * height * 3];
    int[] row = new int[width * bands];
    for (int y = 0, i = 0; y < height; y++) {
      raster.getPixels(0, y, width, 1, row);
      for (int x = 0; x < width; x++) {
        for (int c = 0; c < 3; c++) {
          rgb[i++] = (byte) (row[x * bands + channels[c]] >>> shift);
        }
      }
    }
    return new Pixels(rgb, width, height, 0, 3, width * 3, new int[] {0, 1, 2});
  }

  /** Palette and packed-int images: their colour models are sRGB, so getRGB is an exact lookup. */
  private static Pixels packed(BufferedImage image) {
    int width = image.getWidth();
    int height = image.getHeight();
    byte[] rgb = new byte[width * height * 3];
    int[] row = new int[width];
    for (int y = 0, i = 0; y < height; y++) {
      image.getRGB(0, y, width, 1, row, 0, width);
      for (int argb : row) {
        rgb[i++] = (byte) (argb >> 16);
        rgb[i++] = (byte) (argb >> 8);
        rgb[i++] = (byte) argb;
      }
    }
    return new Pixels(rgb, width, height, 0, 3, width * 3, new int[] {0, 1, 2});
  }

  private static String colourSpaceName(ColorSpace space) {
    return switch (space.getType()) {
      case ColorSpace.TYPE_CMYK -> "CMYK";
      case ColorSpace.TYPE_YCbCr -> "YCbCr";
      case ColorSpace.TYPE_CMY -> "CMY";
      default -> "colour space type " + space.getType();
    };
  }

  /**
   * The same pixels as displayed under EXIF orientation {@code orientation} (1–8): the row-0 /
   * column-0 corner and the strides move, the data does not. Orientations 5–8 swap width and height.
   */
  Pixels oriented(int orientation) {
    int lastX = (width - 1) * stepX;
    int lastY = (height - 1) * stepY;
    return switch (orientation) {
      case 2 -> new Pixels(data, width, height, base + lastX, -stepX, stepY, channel);
      case 3 -> new Pixels(data, width, height, base + lastX + lastY, -stepX, -stepY, channel);
      case 4 -> new Pixels(data, width, height, base + lastY, stepX, -stepY, channel);
      case 5 -> new Pixels(data, height, width, base, stepY, stepX, channel);
      case 6 -> new Pixels(data, height, width, base + lastY, -stepY, stepX, channel);
      case 7 -> new Pixels(data, height, width, base + lastX + lastY, -stepY, -stepX, channel);
      case 8 -> new Pixels(data, height, width, base + lastX, stepY, -stepX, channel);
      default -> this;
    };
  }
}
