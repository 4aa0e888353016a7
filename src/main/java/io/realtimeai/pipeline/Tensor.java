package io.realtimeai.pipeline;

import ai.onnxruntime.platform.Fp16Conversions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A dense tensor in little-endian bytes: what a pipeline returns and what numeric Predict inputs
 * carry ({@code tensor_content} has the same layout).
 *
 * @param type the element type
 * @param shape the dimensions, batch first
 * @param data the elements, little-endian, from position 0 to the limit
 */
public record Tensor(ElementType type, long[] shape, ByteBuffer data) {
  public Tensor {
    shape = shape.clone();
    data = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    long expected = elementCount(shape) * type.bytes();
    if (data.remaining() != expected) {
      throw new IllegalArgumentException("a " + type + " tensor of shape " + Arrays.toString(shape)
          + " holds " + expected + " bytes, not " + data.remaining());
    }
  }

  /** The number of elements a shape holds. */
  public static long elementCount(long[] shape) {
    long count = 1;
    for (long dim : shape) {
      count = Math.multiplyExact(count, dim);
    }
    return count;
  }

  /** The number of elements. */
  public long elementCount() {
    return elementCount(shape);
  }

  /** The dimensions (a copy). */
  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** The elements (a read-only view from position 0). */
  @Override
  public ByteBuffer data() {
    return data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Element {@code i} as a double, whatever the element type. */
  public double get(int i) {
    return read(data, type, i);
  }

  /** The elements as floats. */
  public float[] toFloats() {
    float[] values = new float[Math.toIntExact(elementCount())];
    if (type == ElementType.FLOAT32) {
      data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
      return values;
    }
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) read(data, type, i);
    }
    return values;
  }

  /** This tensor converted to another element type (rounded and clamped for integer types). */
  public Tensor convertTo(ElementType target) {
    if (target == type) {
      return this;
    }
    int count = Math.toIntExact(elementCount());
    ByteBuffer out = ByteBuffer.allocateDirect(count * target.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < count; i++) {
      write(out, target, i, read(data, type, i));
    }
    return new Tensor(target, shape, out);
  }

  /** The same elements under another shape of the same element count. */
  public Tensor reshape(long[] newShape) {
    return new Tensor(type, newShape, data);
  }

  /** A float32 tensor of the given values. */
  public static Tensor ofFloats(long[] shape, float[] values) {
    ByteBuffer buffer = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asFloatBuffer().put(values);
    return new Tensor(ElementType.FLOAT32, shape, buffer);
  }

  static double read(ByteBuffer buffer, ElementType type, int i) {
    int at = i * type.bytes();
    return switch (type) {
      case FLOAT32 -> buffer.getFloat(at);
      case FLOAT16 -> Fp16Conversions.fp16ToFloat(buffer.getShort(at));
      case BFLOAT16 -> Fp16Conversions.bf16ToFloat(buffer.getShort(at));
      case FLOAT64 -> buffer.getDouble(at);
      case UINT8 -> buffer.get(at) & 0xff;
      case INT8 -> buffer.get(at);
      case INT32 -> buffer.getInt(at);
      case INT64 -> buffer.getLong(at);
    };
  }

  static void write(ByteBuffer buffer, ElementType type, int i, double value) {
    int at = i * type.bytes();
    switch (type) {
      case FLOAT32 -> buffer.putFloat(at, (float) value);
      case FLOAT16 -> buffer.putShort(at, Fp16Conversions.floatToFp16((float) value));
      case BFLOAT16 -> buffer.putShort(at, Fp16Conversions.floatToBf16((float) value));
      case FLOAT64 -> buffer.putDouble(at, value);
      case UINT8 -> buffer.put(at, (byte) Math.max(0, Math.min(255, Math.round(value))));
      case INT8 -> buffer.put(at, (byte) Math.max(-128, Math.min(127, Math.round(value))));
      case INT32 -> buffer.putInt(at, (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, Math.round(value))));
      case INT64 -> buffer.putLong(at, Math.round(value));
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Tensor t && t.type == type && Arrays.equals(t.shape, shape) && t.data.equals(data);
  }

  @Override
  public int hashCode() {
    return 31 * type.hashCode() + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return type + Shapes.describe(shape);
  }
}
