package io.realtimeai.pipeline.image;

import ai.onnxruntime.platform.Fp16Conversions;
import io.realtimeai.pipeline.ElementType;
import io.realtimeai.pipeline.ImageStage;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * The {@code image} stage: decodes one encoded image and writes it as the tensor the next stage
 * takes — resized (stretch, or shorter side then centre crop, as torchvision does on PIL images),
 * in the stage's color order, normalised per channel as {@code (pixel * scale - mean) / std}, laid
 * out NCHW or NHWC, as float32, float16 or uint8. Immutable and safe to share between threads.
 */
public final class ImagePreprocessor {
  /** The pixel budget an image may not exceed unless configured otherwise (a 40 MP photo decodes to 120 MB). */
  public static final long DEFAULT_MAX_PIXELS = 40_000_000L;

  /** True when {@code bytes} start like a JPEG, PNG, BMP or GIF file: a format this stage decodes. */
  public static boolean isImage(byte[] bytes) {
    return ImageDecoder.Format.sniff(bytes) != null;
  }

  private final ImageStage stage;
  private final ElementType elementType;
  private final long maxPixels;
  private final int height;
  private final int width;
  private final int[] channels;
  private final float[] gain = new float[3];
  private final float[] offset = new float[3];

  /** Prepares the stage; {@code elementType} is the next stage's input element type: FLOAT32, FLOAT16 or UINT8. */
  public ImagePreprocessor(ImageStage stage, ElementType elementType, long maxPixels) {
    if (elementType != ElementType.FLOAT32 && elementType != ElementType.FLOAT16 && elementType != ElementType.UINT8) {
      throw new IllegalArgumentException("image stage output must be float32, float16 or uint8, not " + elementType);
    }
    if (maxPixels <= 0) {
      throw new IllegalArgumentException("maxPixels must be positive, got " + maxPixels);
    }
    this.stage = stage;
    this.elementType = elementType;
    this.maxPixels = maxPixels;
    this.height = stage.height();
    this.width = stage.width();
    this.channels = stage.colorOrder() == ImageStage.ColorOrder.RGB ? new int[] {0, 1, 2} : new int[] {2, 1, 0};
    // (pixel * scale - mean) / std as one multiply-add per sample.
    for (int c = 0; c < 3; c++) {
      gain[c] = (float) (stage.scale() / stage.std().get(c));
      offset[c] = (float) (-stage.mean().get(c) / stage.std().get(c));
    }
  }

  /** Shape of one preprocessed image without batch: [3,H,W] (NCHW) or [H,W,3] (NHWC). */
  public long[] itemShape() {
    return stage.itemShape();
  }

  /** Bytes one preprocessed image occupies: elements × elementType.bytes(). */
  public int itemBytes() {
    return 3 * height * width * elementType.bytes();
  }

  /**
   * Decodes one encoded image and writes its preprocessed tensor at dest.position() in dest's byte
   * order, advancing the position by itemBytes(); an image that cannot be used is an
   * {@link io.realtimeai.error.UnprocessableException} saying why.
   */
  public void preprocess(byte[] encoded, ByteBuffer dest) {
    if (dest.remaining() < itemBytes()) {
      throw new IllegalArgumentException("dest has " + dest.remaining() + " bytes left, an image takes " + itemBytes());
    }
    ImageDecoder.Decoded image = ImageDecoder.decode(encoded, maxPixels, this::subsampling);
    int resizedWidth = width;
    int resizedHeight = height;
    if (stage.resize() == ImageStage.Resize.SHORTER_SIDE) {
      int[] resized = resizedSize(image.width(), image.height(), stage.shorterSide());
      resizedWidth = resized[0];
      resizedHeight = resized[1];
    }
    int left = cropOffset(resizedWidth, width);
    int top = cropOffset(resizedHeight, height);
    // The resize maps the whole full-resolution image, whatever the decoder kept of it.
    BilinearResampler.Axis columns = BilinearResampler.axis(image.pixels().width(), image.toDecoded(0, image.firstColumn()),
        image.toDecoded(image.width(), image.firstColumn()), resizedWidth, left, width);
    BilinearResampler.Axis rows = BilinearResampler.axis(image.pixels().height(), image.toDecoded(0, image.firstRow()),
        image.toDecoded(image.height(), image.firstRow()), resizedHeight, top, height);

    Output out = new Output(dest, elementType);
    boolean planar = stage.layout() == ImageStage.Layout.NCHW;
    int plane = height * width;
    BilinearResampler.resample(image.pixels(), channels, columns, rows, (y, row) -> {
      if (planar) {
        for (int c = 0; c < 3; c++) {
          float g = gain[c];
          float o = offset[c];
          for (int x = 0, index = c * plane + y * width; x < width; x++) {
            out.put(index++, row[x * 3 + c] * g + o);
          }
        }
      } else {
        for (int k = 0, index = y * width * 3; k < width * 3; k += 3) {
          out.put(index++, row[k] * gain[0] + offset[0]);
          out.put(index++, row[k + 1] * gain[1] + offset[1]);
          out.put(index++, row[k + 2] * gain[2] + offset[2]);
        }
      }
    });
    dest.position(dest.position() + itemBytes());
  }

  /** Writes tensor elements at the buffer's position, in its byte order, as the element type. */
  private static final class Output {
    private final ElementType type;
    private final FloatBuffer floats;
    private final ShortBuffer halves;
    private final ByteBuffer bytes;

    Output(ByteBuffer dest, ElementType type) {
      this.type = type;
      this.floats = type == ElementType.FLOAT32 ? dest.asFloatBuffer() : null;
      this.halves = type == ElementType.FLOAT16 ? dest.asShortBuffer() : null;
      this.bytes = type == ElementType.UINT8 ? dest.slice() : null;
    }

    void put(int index, float value) {
      switch (type) {
        case FLOAT32 -> floats.put(index, value);
        // ONNX Runtime's conversion rounds to nearest even, as numpy's astype(float16) does.
        case FLOAT16 -> halves.put(index, Fp16Conversions.floatToFp16(value));
        // Round half up, then saturate to 0–255.
        default -> bytes.put(index, (byte) Math.min(255, Math.max(0, Math.round(value))));
      }
    }
  }

  /** torchvision's {@code Resize(int)}: the shorter side becomes {@code side}, the longer one scales, truncated. */
  static int[] resizedSize(int imageWidth, int imageHeight, int side) {
    return imageWidth <= imageHeight
        ? new int[] {side, (int) ((long) imageHeight * side / imageWidth)}
        : new int[] {(int) ((long) imageWidth * side / imageHeight), side};
  }

  /** torchvision's {@code CenterCrop} start: Python's {@code round()} takes halves to even, as {@code rint} does. */
  static int cropOffset(int resized, int crop) {
    return (int) Math.rint((resized - crop) / 2.0);
  }

  /**
   * The JPEG subsampling factor: the largest that still leaves the decoded image at least twice
   * the size the resize produces. This is what makes a 12 MP photo cheap (its decode no longer
   * builds a 36 MB image, and the resize reads a fraction of the pixels). Keeping twice the
   * output, not just the output size, still lets the antialiasing filter average neighbours
   * instead of point-sampling, and leaves photos under twice the output size decoded whole, so
   * their tensors stay bit-identical to PIL's.
   */
  int subsampling(int imageWidth, int imageHeight) {
    return stage.resize() == ImageStage.Resize.SHORTER_SIDE
        ? Math.min(imageWidth, imageHeight) / (2 * stage.shorterSide())
        : Math.min(imageWidth / (2 * width), imageHeight / (2 * height));
  }
}
