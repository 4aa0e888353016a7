package io.realtimeai.pipeline;

import java.util.Arrays;
import java.util.StringJoiner;

/** Shape helpers: dimensions of -1 (or less) are symbolic, and dimension 0 is the free batch. */
public final class Shapes {
  private Shapes() {}

  /** {@code [batch, 3, 224, 224]}: the first dimension is the batch, other unknown dimensions are {@code ?}. */
  public static String describe(long[] shape) {
    StringJoiner out = new StringJoiner(", ", "[", "]");
    for (int i = 0; i < shape.length; i++) {
      out.add(shape[i] < 0 ? (i == 0 ? "batch" : "?") : Long.toString(shape[i]));
    }
    return out.toString();
  }

  /** The shape without its batch dimension. */
  public static long[] item(long[] shape) {
    return shape.length == 0 ? shape : Arrays.copyOfRange(shape, 1, shape.length);
  }

  /** True when every dimension of an item shape is known. */
  public static boolean isStatic(long[] item) {
    return Arrays.stream(item).allMatch(d -> d >= 0);
  }

  /** Elements per item, when every dimension is known, else -1. */
  public static long itemElements(long[] shape) {
    long[] item = item(shape);
    return isStatic(item) ? Tensor.elementCount(item) : -1;
  }

  /** True when two item shapes agree wherever both are known. */
  public static boolean compatible(long[] item, long[] expected) {
    if (item.length != expected.length) {
      return false;
    }
    for (int i = 0; i < item.length; i++) {
      if (item[i] >= 0 && expected[i] >= 0 && item[i] != expected[i]) {
        return false;
      }
    }
    return true;
  }

  /** {@code batch} followed by the item dimensions. */
  public static long[] withBatch(long batch, long[] item) {
    long[] shape = new long[item.length + 1];
    shape[0] = batch;
    System.arraycopy(item, 0, shape, 1, item.length);
    return shape;
  }

  /**
   * A classifier's output as {@code [batch, classes]}: {@code [N, C, 1, 1]} (SqueezeNet and many
   * Caffe2 exports) and {@code [N, 1, 1, C]} hold one score per class just as {@code [N, C]} does.
   * Any other shape (two dimensions above 1, or one unknown besides the batch) is returned as it is.
   */
  public static long[] classes(long[] shape) {
    if (shape.length < 3) {
      return shape;
    }
    long[] wide = Arrays.stream(item(shape)).filter(d -> d != 1).toArray();
    return wide.length == 1 && wide[0] > 0 ? new long[] {shape[0], wide[0]} : shape;
  }
}
