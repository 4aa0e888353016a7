package io.realtimeai.pipeline.image;

import java.util.Arrays;

/**
 * Separable bilinear resampling that reproduces PIL's {@code Image.resize(size, BILINEAR)} on 8-bit
 * RGB bit for bit: a triangle filter whose support grows with the downscale factor (so shrinking
 * is antialiased, enlarging is plain bilinear), weights precomputed per output column and row in
 * PIL's 22-bit fixed point, the horizontal pass first, and each pass rounded to 8 bits as PIL
 * rounds it. Bit-exactness matters: models are trained and evaluated on PIL's output, and an
 * int8-quantized model moves on sub-level differences (the fixture MobileNetV2 gives the fish
 * photo 0.78 with PIL's rounding, 0.50 with the same resize in float).
 * Only the output pixels inside a window (the centre crop) are computed.
 */
final class BilinearResampler {
  private BilinearResampler() {}

  /** PIL's PRECISION_BITS for 8-bit images: 32 - 8 (sample) - 2 (headroom for negative lobes). */
  private static final int PRECISION_BITS = 22;

  private static final int HALF = 1 << (PRECISION_BITS - 1);

  /** Receives one output row: {@code width * 3} interleaved samples (0–255) in the requested channel order. */
  @FunctionalInterface
  interface RowSink {
    /** Takes output row {@code y} (counted inside the window); {@code row} is reused for the next row. */
    void accept(int y, int[] row);
  }

  /**
   * The taps of one axis: window output {@code i} reads inputs {@code start[i] .. start[i] + count[i] - 1}
   * with fixed-point weights {@code weights[i * stride ..]}.
   */
  record Axis(int[] start, int[] count, int[] weights, int stride, boolean identity) {
    int size() {
      return start.length;
    }
  }

  /** Scratch reused per thread: the 8-bit intermediate rows of a 224×224 crop take 150–400 KB. */
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private static final class Scratch {
    int[] row = new int[0];
    byte[] rows = new byte[0];
  }

  /**
   * The taps for outputs {@code from .. from + count - 1} of an axis resized to {@code outSize} from
   * the span {@code [boxStart, boxEnd)} of {@code inSize} input pixels (PIL's {@code box}: the whole
   * axis, {@code [0, inSize)}, unless the decoder subsampled and its pixels cover the image unevenly).
   */
  static Axis axis(int inSize, double boxStart, double boxEnd, int outSize, int from, int count) {
    int[] start = new int[count];
    int[] taps = new int[count];
    if (inSize == outSize && boxStart == 0 && boxEnd == inSize) {
      for (int i = 0; i < count; i++) {
        start[i] = from + i;
        taps[i] = 1;
      }
      int[] ones = new int[count];
      Arrays.fill(ones, 1 << PRECISION_BITS);
      return new Axis(start, taps, ones, 1, true);
    }
    // PIL's precompute_coeffs with the bilinear filter, then normalize_coeffs_8bpc.
    double scale = (boxEnd - boxStart) / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = filterScale;
    int stride = (int) Math.ceil(support) * 2 + 1;
    int[] weights = new int[count * stride];
    double[] w = new double[stride];
    for (int i = 0; i < count; i++) {
      double center = boxStart + (from + i + 0.5) * scale;
      int min = Math.max(0, (int) (center - support + 0.5));
      int n = Math.min(inSize, (int) (center + support + 0.5)) - min;
      double sum = 0;
      for (int j = 0; j < n; j++) {
        double t = Math.abs((j + min - center + 0.5) / filterScale);
        w[j] = t < 1 ? 1 - t : 0;
        sum += w[j];
      }
      for (int j = 0; j < n; j++) {
        double normalized = sum == 0 ? 0 : w[j] / sum;
        weights[i * stride + j] = (int) (0.5 + normalized * (1 << PRECISION_BITS));
      }
      start[i] = min;
      taps[i] = Math.max(0, n);
    }
    return new Axis(start, taps, weights, stride, false);
  }

  /**
   * Resamples {@code pixels} through the column taps {@code ax} and row taps {@code ay}, handing each
   * window row to {@code sink}; output channel {@code c} is the pixels' channel {@code channels[c]}.
   */
  static void resample(Pixels pixels, int[] channels, Axis ax, Axis ay, RowSink sink) {
    byte[] data = pixels.data();
    int c0 = pixels.channel()[channels[0]];
    int c1 = pixels.channel()[channels[1]];
    int c2 = pixels.channel()[channels[2]];
    int stepX = pixels.stepX();
    int width = ax.size();
    int rowLength = width * 3;
    Scratch scratch = SCRATCH.get();
    if (scratch.row.length < rowLength) {
      scratch.row = new int[rowLength];
    }
    int[] row = scratch.row;

    if (ax.identity() && ay.identity()) {
      // Nothing to interpolate: read the window straight from the decoded bytes.
      for (int i = 0; i < ay.size(); i++) {
        int index = pixels.base() + ay.start()[i] * pixels.stepY() + ax.start()[0] * stepX;
        for (int k = 0; k < rowLength; index += stepX) {
          row[k++] = data[index + c0] & 0xFF;
          row[k++] = data[index + c1] & 0xFF;
          row[k++] = data[index + c2] & 0xFF;
        }
        sink.accept(i, row);
      }
      return;
    }

    // Horizontal pass, over just the input rows the window's vertical taps read, rounded to 8 bits.
    int rowFirst = ay.start()[0];
    int rowEnd = ay.start()[ay.size() - 1] + ay.count()[ay.size() - 1];
    int needed = (rowEnd - rowFirst) * rowLength;
    if (scratch.rows.length < needed) {
      scratch.rows = new byte[needed];
    }
    byte[] rows = scratch.rows;
    int[] xStart = ax.start();
    int[] xCount = ax.count();
    int[] xWeights = ax.weights();
    for (int y = rowFirst, k = 0; y < rowEnd; y++) {
      int rowBase = pixels.base() + y * pixels.stepY();
      for (int x = 0; x < width; x++) {
        int r = HALF;
        int g = HALF;
        int b = HALF;
        int index = rowBase + xStart[x] * stepX;
        for (int j = 0, w = x * ax.stride(); j < xCount[x]; j++, w++, index += stepX) {
          int weight = xWeights[w];
          r += weight * (data[index + c0] & 0xFF);
          g += weight * (data[index + c1] & 0xFF);
          b += weight * (data[index + c2] & 0xFF);
        }
        rows[k++] = (byte) clip8(r);
        rows[k++] = (byte) clip8(g);
        rows[k++] = (byte) clip8(b);
      }
    }

    // Vertical pass: each output row is a weighted sum of whole intermediate rows.
    for (int i = 0; i < ay.size(); i++) {
      Arrays.fill(row, 0, rowLength, HALF);
      for (int j = 0, w = i * ay.stride(); j < ay.count()[i]; j++, w++) {
        int weight = ay.weights()[w];
        int offset = (ay.start()[i] + j - rowFirst) * rowLength;
        for (int k = 0; k < rowLength; k++) {
          row[k] += weight * (rows[offset + k] & 0xFF);
        }
      }
      for (int k = 0; k < rowLength; k++) {
        row[k] = clip8(row[k]);
      }
      sink.accept(i, row);
    }
  }

  /** PIL's clip8: a fixed-point sum back to 0–255 (bilinear weights are never negative, the clamp is for safety). */
  private static int clip8(int sum) {
    return sum <= 0 ? 0 : Math.min(255, sum >>> PRECISION_BITS);
  }
}
