package io.realtimeai.pipeline.image;

import static io.realtimeai.pipeline.image.TestImages.BLUE;
import static io.realtimeai.pipeline.image.TestImages.RED;
import static io.realtimeai.pipeline.image.TestImages.encode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.realtimeai.error.UnprocessableException;
import io.realtimeai.pipeline.ElementType;
import io.realtimeai.pipeline.ImageStage;
import io.realtimeai.pipeline.ImageStage.ColorOrder;
import io.realtimeai.pipeline.ImageStage.Layout;
import io.realtimeai.pipeline.ImageStage.Resize;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;

class ImagePreprocessorTest {
  /** JPEG moves a solid colour by a few levels (YCbCr rounding), never more on flat areas. */
  private static final int JPEG_TOLERANCE = 4;

  private static ImageStage stage(int height, int width, Resize resize, Integer shorterSide, ColorOrder order,
      List<Double> mean, List<Double> std, double scale, Layout layout) {
    return new ImageStage(List.of(height, width), resize, shorterSide, order, mean, std, scale, layout, null);
  }

  /** Stretch to height×width with no normalisation: outputs are the 0–255 pixel values, RGB, NCHW. */
  private static ImageStage plain(int height, int width) {
    return stage(height, width, Resize.STRETCH, null, ColorOrder.RGB, null, null, 1.0, Layout.NCHW);
  }

  private static float[] run(ImageStage stage, byte[] encoded) {
    ImagePreprocessor preprocessor = new ImagePreprocessor(stage, ElementType.FLOAT32, ImagePreprocessor.DEFAULT_MAX_PIXELS);
    ByteBuffer out = ByteBuffer.allocate(preprocessor.itemBytes()).order(ByteOrder.LITTLE_ENDIAN);
    preprocessor.preprocess(encoded, out);
    float[] values = new float[preprocessor.itemBytes() / 4];
    out.flip().asFloatBuffer().get(values);
    return values;
  }

  /** The RGB triple at (x, y) of an NCHW float32 output of the given size. */
  private static int[] pixel(float[] nchw, int height, int width, int x, int y) {
    int plane = height * width;
    return new int[] {
      Math.round(nchw[y * width + x]), Math.round(nchw[plane + y * width + x]), Math.round(nchw[2 * plane + y * width + x])
    };
  }

  private static int[] rgb(int rgb) {
    return new int[] {(rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF};
  }

  private static void assertAllPixels(float[] nchw, int height, int width, int[] expected, int tolerance) {
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int[] actual = pixel(nchw, height, width, x, y);
        for (int c = 0; c < 3; c++) {
          assertThat(actual[c]).as("channel %d at (%d, %d)", c, x, y).isCloseTo(expected[c], within(tolerance));
        }
      }
    }
  }

  private static void assertPixel(float[] nchw, int height, int width, int x, int y, int expectedRgb, int tolerance) {
    int[] actual = pixel(nchw, height, width, x, y);
    int[] expected = rgb(expectedRgb);
    for (int c = 0; c < 3; c++) {
      assertThat(actual[c]).as("channel %d at (%d, %d): %s", c, x, y, Arrays.toString(actual))
          .isCloseTo(expected[c], within(tolerance));
    }
  }

  private static UnprocessableException refusal(byte[] encoded) {
    try {
      run(plain(8, 8), encoded);
    } catch (UnprocessableException e) {
      return e;
    }
    throw new AssertionError("accepted " + encoded.length + " bytes");
  }

  // --- formats -------------------------------------------------------------------------------

  @Test
  void preprocess_decodesJpegToItsColours() {
    byte[] jpeg = encode(TestImages.solid(16, 16, 0xC86432), "jpeg");

    assertAllPixels(run(plain(16, 16), jpeg), 16, 16, new int[] {200, 100, 50}, JPEG_TOLERANCE);
  }

  @Test
  void preprocess_decodesRgbPngExactly() {
    byte[] png = encode(TestImages.rgb(4, 3, (x, y) -> (x * 60) << 16 | (y * 100) << 8 | 7), "png");

    float[] out = run(plain(3, 4), png);

    assertThat(pixel(out, 3, 4, 3, 2)).containsExactly(180, 200, 7);
    assertThat(pixel(out, 3, 4, 1, 0)).containsExactly(60, 0, 7);
  }

  @Test
  void preprocess_dropsPngAlphaWithoutCompositing() {
    BufferedImage argb = new BufferedImage(4, 4, BufferedImage.TYPE_INT_ARGB);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        argb.setRGB(x, y, x < 2 ? 0x00C86432 : 0x80112233);
      }
    }

    float[] out = run(plain(4, 4), encode(argb, "png"));

    // Fully and half transparent pixels keep their colour, as PIL's convert('RGB') keeps it.
    assertThat(pixel(out, 4, 4, 0, 0)).containsExactly(200, 100, 50);
    assertThat(pixel(out, 4, 4, 3, 3)).containsExactly(0x11, 0x22, 0x33);
  }

  @Test
  void preprocess_expandsGrayscalePngToThreeEqualChannels() {
    byte[] png = encode(TestImages.filled(5, 5, BufferedImage.TYPE_BYTE_GRAY, 77), "png");

    assertAllPixels(run(plain(5, 5), png), 5, 5, new int[] {77, 77, 77}, 0);
  }

  @Test
  void preprocess_looksUpPaletteColours() {
    byte[] png = encode(TestImages.palette(4, 2, 0x102030, 0xF0E0D0), "png");

    float[] out = run(plain(2, 4), png);

    assertThat(pixel(out, 2, 4, 0, 1)).containsExactly(0x10, 0x20, 0x30);
    assertThat(pixel(out, 2, 4, 1, 1)).containsExactly(0xF0, 0xE0, 0xD0);
  }

  @Test
  void preprocess_keepsTheHighByteOf16BitPngSamples() {
    ComponentColorModel model = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB),
        false, false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
    WritableRaster raster = model.createCompatibleWritableRaster(3, 3);
    for (int y = 0; y < 3; y++) {
      for (int x = 0; x < 3; x++) {
        raster.setPixel(x, y, new int[] {0xABCD, 0x1234, 0xFFFF});
      }
    }
    byte[] rgb16 = encode(new BufferedImage(model, raster, false, null), "png");
    byte[] gray16 = encode(TestImages.filled(3, 3, BufferedImage.TYPE_USHORT_GRAY, 0x8081), "png");

    assertAllPixels(run(plain(3, 3), rgb16), 3, 3, new int[] {0xAB, 0x12, 0xFF}, 0);
    assertAllPixels(run(plain(3, 3), gray16), 3, 3, new int[] {0x80, 0x80, 0x80}, 0);
  }

  @Test
  void preprocess_decodesBmp() {
    byte[] bmp = encode(TestImages.redLeftBlueRight(6, 2), "bmp");

    float[] out = run(plain(2, 6), bmp);

    assertPixel(out, 2, 6, 0, 0, RED, 0);
    assertPixel(out, 2, 6, 5, 1, BLUE, 0);
  }

  @Test
  void preprocess_takesTheFirstFrameOfAnAnimatedGif() {
    byte[] gif = TestImages.animatedGif(TestImages.solid(8, 8, RED), TestImages.solid(8, 8, BLUE));

    assertAllPixels(run(plain(8, 8), gif), 8, 8, rgb(RED), 0);
  }

  // --- EXIF orientation ----------------------------------------------------------------------

  @Test
  void preprocess_turnsExifOrientation6AQuarterTurnClockwise() {
    // Stored 64 wide × 32 high; shown 32 wide × 64 high with the stored left edge on top.
    byte[] jpeg = TestImages.withExifOrientation(encode(TestImages.redLeftBlueRight(64, 32), "jpeg"), 6);

    float[] out = run(plain(64, 32), jpeg);

    assertPixel(out, 64, 32, 16, 8, RED, JPEG_TOLERANCE);
    assertPixel(out, 64, 32, 16, 56, BLUE, JPEG_TOLERANCE);
  }

  @Test
  void preprocess_turnsExifOrientation3AHalfTurn() {
    byte[] jpeg = TestImages.withExifOrientation(
        encode(TestImages.rgb(64, 32, (x, y) -> x < 32 ? RED : y < 16 ? BLUE : 0x00FF00), "jpeg"), 3);

    float[] out = run(plain(32, 64), jpeg);

    // Stored right-top blue / right-bottom green end up left-bottom blue / left-top green.
    assertPixel(out, 32, 64, 8, 8, 0x00FF00, JPEG_TOLERANCE);
    assertPixel(out, 32, 64, 8, 24, BLUE, JPEG_TOLERANCE);
    assertPixel(out, 32, 64, 56, 16, RED, JPEG_TOLERANCE);
  }

  @Test
  void preprocess_showsEveryExifOrientationAsItsTransposedPixels() throws Exception {
    byte[] jpeg = encode(TestImages.rgb(40, 24, (x, y) -> x * 6 << 16 | y * 10 << 8 | (x + y) * 3), "jpeg");
    BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(jpeg));
    ImageStage stage = stage(16, 16, Resize.SHORTER_SIDE, 20, ColorOrder.RGB, null, null, 1.0, Layout.NCHW);

    for (int orientation = 1; orientation <= 8; orientation++) {
      float[] expected = run(stage, encode(TestImages.oriented(decoded, orientation), "png"));

      assertThat(run(stage, TestImages.withExifOrientation(jpeg, orientation))).as("orientation %d", orientation)
          .containsExactly(expected);
    }
  }

  // --- normalisation, colour order, layout, element types ------------------------------------

  @Test
  void preprocess_normalisesPerChannelWithMeanAndStdInOutputColourOrder() {
    byte[] png = encode(TestImages.solid(2, 2, 0x0A141E), "png"); // R 10, G 20, B 30
    ImageStage bgr = stage(2, 2, Resize.STRETCH, null, ColorOrder.BGR,
        List.of(1.0, 2.0, 3.0), List.of(0.5, 0.25, 2.0), 0.1, Layout.NCHW);

    float[] out = run(bgr, png);

    // (pixel * 0.1 - mean) / std, channel 0 is blue: (3 - 1) / 0.5, (2 - 2) / 0.25, (1 - 3) / 2.
    assertThat(out).containsExactly(new float[] {4, 4, 4, 4, 0, 0, 0, 0, -1, -1, -1, -1}, within(1e-5f));
  }

  @Test
  void preprocess_laysOutNhwcAsThreeChannelsPerPixel() {
    byte[] png = encode(TestImages.rgb(2, 1, (x, y) -> x == 0 ? 0x010203 : 0x040506), "png");
    ImageStage nhwc = stage(1, 2, Resize.STRETCH, null, ColorOrder.RGB, null, null, 1.0, Layout.NHWC);
    ImageStage nchw = stage(1, 2, Resize.STRETCH, null, ColorOrder.RGB, null, null, 1.0, Layout.NCHW);

    assertThat(run(nhwc, png)).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(run(nchw, png)).containsExactly(1, 4, 2, 5, 3, 6);
    assertThat(new ImagePreprocessor(nhwc, ElementType.FLOAT32, 100).itemShape()).containsExactly(1, 2, 3);
    assertThat(new ImagePreprocessor(nchw, ElementType.FLOAT16, 100).itemShape()).containsExactly(3, 1, 2);
  }

  @Test
  void preprocess_writesFloat16RoundingToNearestEven() {
    // Pixel 1 times scale: 1 + 2^-11 is a tie (to even: 1.0), 1 + 3 * 2^-11 rounds up to 1 + 2^-9.
    byte[] png = encode(TestImages.solid(1, 1, 0x010101), "png");
    short[] tie = float16(stage(1, 1, Resize.STRETCH, null, null, null, null, 1 + Math.scalb(1.0, -11), null), png);
    short[] up = float16(stage(1, 1, Resize.STRETCH, null, null, null, null, 1 + 3 * Math.scalb(1.0, -11), null), png);
    short[] negative = float16(stage(1, 1, Resize.STRETCH, null, null, List.of(1.5, 1.5, 1.5), null, 1.0, null), png);

    assertThat(tie).containsOnly((short) 0x3C00);
    assertThat(up).containsOnly((short) 0x3C02);
    assertThat(negative).containsOnly((short) 0xB800);
  }

  private static short[] float16(ImageStage stage, byte[] encoded) {
    ImagePreprocessor preprocessor = new ImagePreprocessor(stage, ElementType.FLOAT16, 100);
    ByteBuffer out = ByteBuffer.allocate(preprocessor.itemBytes()).order(ByteOrder.LITTLE_ENDIAN);
    preprocessor.preprocess(encoded, out);
    short[] values = new short[preprocessor.itemBytes() / 2];
    out.flip().asShortBuffer().get(values);
    return values;
  }

  @Test
  void preprocess_writesUint8RoundedHalfUpAndClamped() {
    byte[] png = encode(TestImages.solid(1, 1, 0x64C8FA), "png"); // 100, 200, 250
    ImageStage stage = stage(1, 1, Resize.STRETCH, null, ColorOrder.RGB,
        List.of(0.5, -100.0, 300.0), List.of(1.0, 1.0, 1.0), 1.0, Layout.NHWC);
    ImagePreprocessor preprocessor = new ImagePreprocessor(stage, ElementType.UINT8, 100);
    ByteBuffer out = ByteBuffer.allocate(3);

    preprocessor.preprocess(png, out);

    // 99.5 → 100, 300 → 255, -50 → 0
    assertThat(new int[] {out.get(0) & 0xFF, out.get(1) & 0xFF, out.get(2) & 0xFF}).containsExactly(100, 255, 0);
  }

  @Test
  void preprocess_writesAtTheBufferPositionInItsByteOrderAndAdvancesIt() {
    byte[] png = encode(TestImages.solid(1, 1, 0x010203), "png");
    ImagePreprocessor preprocessor = new ImagePreprocessor(plain(1, 1), ElementType.FLOAT32, 100);
    ByteBuffer out = ByteBuffer.allocate(5 + 2 * preprocessor.itemBytes()).order(ByteOrder.BIG_ENDIAN);
    out.position(5);

    preprocessor.preprocess(png, out);
    preprocessor.preprocess(png, out);

    assertThat(preprocessor.itemBytes()).isEqualTo(12);
    assertThat(out.position()).isEqualTo(29);
    assertThat(out.getFloat(5)).isEqualTo(1f);
    assertThat(out.getFloat(5 + 8)).isEqualTo(3f);
    assertThat(out.getFloat(17 + 4)).isEqualTo(2f);
  }

  @Test
  void constructor_refusesElementTypesOtherThanFloat32Float16AndUint8() {
    assertThatThrownBy(() -> new ImagePreprocessor(plain(2, 2), ElementType.INT8, 100))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("int8");
  }

  // --- resize and crop -----------------------------------------------------------------------

  @Test
  void preprocess_resizesBilinearAsPilDoes() {
    // Values PIL's Image.resize(BILINEAR) gives: [0, 255] → [0, 64, 191, 255]; [0, 100, 200, 255] → [71, 209].
    byte[] two = encode(TestImages.rgb(2, 1, (x, y) -> x == 0 ? 0 : 0xFFFFFF), "png");
    byte[] four = encode(TestImages.rgb(4, 1, (x, y) -> new int[] {0, 100, 200, 255}[x] * 0x010101), "png");

    assertThat(run(plain(1, 4), two)).startsWith(0, 64, 191, 255);
    assertThat(run(plain(1, 2), four)).startsWith(71, 209);
  }

  @Test
  void preprocess_centreCropsAfterResizingTheShorterSide() {
    // 64×32 → shorter side 16 gives 32×16; the 16×16 centre crop spans stored columns 16..47.
    byte[] png = encode(TestImages.redLeftBlueRight(64, 32), "png");
    ImageStage stage = stage(16, 16, Resize.SHORTER_SIDE, 16, ColorOrder.RGB, null, null, 1.0, Layout.NCHW);

    float[] out = run(stage, png);

    for (int y = 0; y < 16; y++) {
      assertPixel(out, 16, 16, 0, y, RED, 0);
      assertPixel(out, 16, 16, 6, y, RED, 0);
      assertPixel(out, 16, 16, 9, y, BLUE, 0);
      assertPixel(out, 16, 16, 15, y, BLUE, 0);
    }
    // The two columns at the colour edge blend the halves.
    assertThat(pixel(out, 16, 16, 7, 0)[0]).isBetween(1, 254);
  }

  @Test
  void resizedSize_scalesTheLongerSideAndTruncatesAsTorchvisionDoes() {
    assertThat(ImagePreprocessor.resizedSize(500, 416, 256)).containsExactly(307, 256);
    assertThat(ImagePreprocessor.resizedSize(517, 606, 256)).containsExactly(256, 300);
    assertThat(ImagePreprocessor.resizedSize(300, 300, 256)).containsExactly(256, 256);
  }

  @Test
  void cropOffset_roundsHalvesToEvenAsPythonRoundDoes() {
    assertThat(ImagePreprocessor.cropOffset(256, 224)).isEqualTo(16);
    assertThat(ImagePreprocessor.cropOffset(33, 16)).isEqualTo(8);
    assertThat(ImagePreprocessor.cropOffset(35, 16)).isEqualTo(10);
    assertThat(ImagePreprocessor.cropOffset(341, 224)).isEqualTo(58);
  }

  // --- large JPEGs ---------------------------------------------------------------------------

  @Test
  void subsampling_keepsTwiceTheResizeOutput() {
    ImagePreprocessor shorter = new ImagePreprocessor(
        stage(224, 224, Resize.SHORTER_SIDE, 256, null, null, null, 1.0, null), ElementType.FLOAT32, 100);
    ImagePreprocessor stretch = new ImagePreprocessor(plain(224, 224), ElementType.FLOAT32, 100);

    assertThat(shorter.subsampling(4000, 3000)).isEqualTo(5);
    assertThat(shorter.subsampling(1100, 1024)).isEqualTo(2);
    assertThat(shorter.subsampling(517, 606)).isEqualTo(1);
    assertThat(stretch.subsampling(4000, 3000)).isEqualTo(6);
  }

  @Test
  void preprocess_decodesA12MegapixelJpegSubsampledToTheRightColours() {
    int green = 0x00FF00;
    int white = 0xFFFFFF;
    BufferedImage quadrants = new BufferedImage(4000, 3000, BufferedImage.TYPE_INT_RGB);
    Graphics2D graphics = quadrants.createGraphics();
    int[][] colours = {{RED, green}, {BLUE, white}};
    for (int row = 0; row < 2; row++) {
      for (int column = 0; column < 2; column++) {
        graphics.setColor(new Color(colours[row][column]));
        graphics.fillRect(column * 2000, row * 1500, 2000, 1500);
      }
    }
    graphics.dispose();
    byte[] jpeg = encode(quadrants, "jpeg");
    ImageStage stage = stage(224, 224, Resize.SHORTER_SIDE, 256, ColorOrder.RGB, null, null, 1.0, Layout.NCHW);
    ImagePreprocessor preprocessor = new ImagePreprocessor(stage, ElementType.FLOAT32, ImagePreprocessor.DEFAULT_MAX_PIXELS);

    ImageDecoder.Decoded decoded = ImageDecoder.decode(jpeg, ImagePreprocessor.DEFAULT_MAX_PIXELS, preprocessor::subsampling);
    float[] out = run(stage, jpeg);

    assertThat(decoded.subsampling()).isEqualTo(5);
    assertThat(new int[] {decoded.pixels().width(), decoded.pixels().height()}).containsExactly(800, 600);
    assertPixel(out, 224, 224, 0, 0, RED, JPEG_TOLERANCE);
    assertPixel(out, 224, 224, 223, 0, green, JPEG_TOLERANCE);
    assertPixel(out, 224, 224, 0, 223, BLUE, JPEG_TOLERANCE);
    assertPixel(out, 224, 224, 223, 223, white, JPEG_TOLERANCE);
  }

  @Test
  void preprocess_keepsASubsampledJpegWithinALevelOfItsFullDecodeInEveryOrientation() throws Exception {
    // Factor 2 (1200 / 512) leaves one odd pixel per axis: the kept pixels cannot be exactly centred,
    // and EXIF orientations 3 and 6 flip the axes they are offset along.
    BufferedImage picture = TestImages.rgb(1600, 1200, (x, y) -> {
      int r = (int) (128 + 100 * Math.sin(x / 23.0) * Math.cos(y / 31.0));
      int g = (int) (128 + 90 * Math.sin((x + 2 * y) / 47.0));
      int b = (x * 255 / 1600 + y * 255 / 1200) / 2;
      return r << 16 | g << 8 | b;
    });
    byte[] jpeg = encode(picture, "jpeg");
    BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(jpeg));
    ImageStage stage = stage(224, 224, Resize.SHORTER_SIDE, 256, ColorOrder.RGB, null, null, 1.0, Layout.NCHW);

    for (int orientation : new int[] {1, 3, 6}) {
      float[] subsampled = run(stage, TestImages.withExifOrientation(jpeg, orientation));
      // The same pixels, turned, as a PNG, which is never subsampled: the full-resolution reference.
      float[] full = run(stage, encode(TestImages.oriented(decoded, orientation), "png"));

      double total = 0;
      for (int i = 0; i < full.length; i++) {
        total += Math.abs(subsampled[i] - full[i]);
      }
      System.out.printf("subsampled 1600x1200 JPEG, orientation %d: mean |difference| from its full decode %.2f levels%n",
          orientation, total / full.length);
      assertThat(total / full.length).as("orientation %d", orientation).isLessThan(1.0);
    }
  }

  // --- refusals ------------------------------------------------------------------------------

  @Test
  void preprocess_refusesPngHeaderAbovePixelBudgetBeforeDecoding() {
    byte[] bomb = TestImages.pngHeader(30000, 30000);

    assertThat(bomb.length).isLessThan(100);
    assertThat(refusal(bomb)).hasMessage("image is 30000×30000 (900.0 MP), above the 40.0 MP limit");
  }

  @Test
  void preprocess_refusesEmptyInput() {
    assertThat(refusal(new byte[0])).hasMessage("empty image (0 bytes)");
  }

  @Test
  void preprocess_refusesTextNamingItsFirstBytes() {
    byte[] text = "hello, this is not an image".getBytes(StandardCharsets.US_ASCII);

    assertThat(refusal(text)).hasMessage("not a JPEG, PNG, BMP or GIF image (starts with 0x68656C6C6F2C2074)");
  }

  @Test
  void preprocess_refusesRandomBytes() {
    byte[] noise = new byte[4096];
    new Random(7).nextBytes(noise);
    noise[0] = 0x13;

    assertThat(refusal(noise)).hasMessageStartingWith("not a JPEG, PNG, BMP or GIF image (starts with 0x13");
  }

  @Test
  void preprocess_refusesTruncatedJpegInsteadOfFillingItGrey() {
    Random noise = new Random(3);
    byte[] jpeg = encode(TestImages.rgb(256, 256, (x, y) -> noise.nextInt(0x1000000)), "jpeg");

    // Cut inside the compressed data, just before the end marker, and inside the headers.
    for (int length : new int[] {jpeg.length / 2, jpeg.length - 2, 20}) {
      assertThat(refusal(Arrays.copyOf(jpeg, length)))
          .hasMessageStartingWith("truncated or corrupt JPEG: the data ends before the end of the image");
    }
  }

  @Test
  void preprocess_refusesTruncatedPngGifAndBmp() {
    BufferedImage picture = TestImages.rgb(32, 32, (x, y) -> x * 8 << 16 | y * 8);
    for (String format : List.of("png", "gif", "bmp")) {
      byte[] encoded = encode(picture, format);

      assertThat(refusal(Arrays.copyOf(encoded, encoded.length * 2 / 3)))
          .hasMessageStartingWith("truncated or corrupt " + format.toUpperCase());
    }
  }

  @Test
  void preprocess_refusesCmykJpegNamingTheColourModel() throws Exception {
    WritableRaster cmyk = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 16, 16, 4, null);
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ImageOutputStream stream = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(stream);
      writer.write(null, new IIOImage(cmyk, null, null), null);
    } finally {
      writer.dispose();
    }

    assertThat(refusal(out.toByteArray())).hasMessageStartingWith("unsupported colour model")
        .hasMessageContaining("CMYK").hasMessageContaining("convert it to RGB");
  }

  // --- concurrency ---------------------------------------------------------------------------

  @Test
  void preprocess_givesEachThreadTheSameTensorAsOneThreadAlone() throws Exception {
    ImageStage stage = stage(32, 32, Resize.SHORTER_SIDE, 40, ColorOrder.BGR, null, null, 1.0, Layout.NHWC);
    ImagePreprocessor preprocessor = new ImagePreprocessor(stage, ElementType.FLOAT32, ImagePreprocessor.DEFAULT_MAX_PIXELS);
    List<byte[]> images = List.of(
        encode(TestImages.redLeftBlueRight(90, 50), "jpeg"),
        encode(TestImages.rgb(50, 70, (x, y) -> x * 5 << 8 | y * 3), "png"));
    List<ByteBuffer> expected = images.stream().map(image -> {
      ByteBuffer out = ByteBuffer.allocate(preprocessor.itemBytes());
      preprocessor.preprocess(image, out);
      return out.flip();
    }).toList();

    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(pool.submit(() -> {
          for (int i = 0; i < 50; i++) {
            ByteBuffer out = ByteBuffer.allocate(preprocessor.itemBytes());
            preprocessor.preprocess(images.get(i % 2), out);
            if (!out.flip().equals(expected.get(i % 2))) {
              return false;
            }
          }
          return true;
        }));
      }
      for (Future<Boolean> result : results) {
        assertThat(result.get()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
