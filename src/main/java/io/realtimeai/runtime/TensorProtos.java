package io.realtimeai.runtime;

import com.google.protobuf.ByteString;
import io.realtimeai.error.BadRequestException;
import io.realtimeai.pipeline.ElementType;
import io.realtimeai.pipeline.Shapes;
import io.realtimeai.pipeline.Tensor;
import io.realtimeai.proto.tensorflow.DataType;
import io.realtimeai.proto.tensorflow.TensorProto;
import io.realtimeai.proto.tensorflow.TensorShapeProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Converts between TensorFlow's {@code TensorProto} and the pipeline's tensors, naming the input in every error. */
public final class TensorProtos {
  private TensorProtos() {}

  /** The encoded images of a {@code DT_STRING} input of shape {@code [N]}. */
  public static List<byte[]> images(String alias, TensorProto proto) {
    if (proto.getDtype() != DataType.DT_STRING) {
      throw new BadRequestException("input '" + alias + "': must be DT_STRING holding encoded images, got "
          + proto.getDtype());
    }
    int count = proto.getStringValCount();
    if (proto.hasTensorShape()) {
      long[] shape = shape(proto.getTensorShape());
      long declared = shape.length == 0 ? 1 : elementCount(alias, shape);
      if (declared != count || shape.length > 1 && Arrays.stream(shape).skip(1).anyMatch(d -> d != 1)) {
        throw new BadRequestException("input '" + alias + "': shape " + Arrays.toString(shape) + " does not match its "
            + count + " string_val entries (send shape [N] with one encoded image per entry)");
      }
    }
    List<byte[]> images = new ArrayList<>(count);
    for (ByteString image : proto.getStringValList()) {
      images.add(image.toByteArray());
    }
    return images;
  }

  /** The numeric tensor of an input given in {@code tensor_content} or in the typed value fields. */
  public static Tensor tensor(String alias, TensorProto proto) {
    ElementType type = ElementType.of(proto.getDtype()).orElseThrow(() -> new BadRequestException(
        "input '" + alias + "': dtype " + proto.getDtype() + " is not a numeric type this model can take"));
    if (!proto.hasTensorShape() || proto.getTensorShape().getUnknownRank()) {
      throw new BadRequestException("input '" + alias + "': tensor_shape is required");
    }
    long[] shape = shape(proto.getTensorShape());
    if (Arrays.stream(shape).anyMatch(d -> d < 0)) {
      throw new BadRequestException("input '" + alias + "': shape " + Arrays.toString(shape) + " has unknown dimensions");
    }
    long count = elementCount(alias, shape);
    if (count > Integer.MAX_VALUE / type.bytes()) {
      throw new BadRequestException("input '" + alias + "': shape " + Arrays.toString(shape) + " is too large");
    }
    ByteBuffer data;
    if (!proto.getTensorContent().isEmpty()) {
      int size = proto.getTensorContent().size();
      if (size != count * type.bytes()) {
        throw new BadRequestException("input '" + alias + "': tensor_content holds " + size + " bytes but shape "
            + Arrays.toString(shape) + " of " + type + " needs " + count * type.bytes());
      }
      // A view, not a copy: the pipeline copies the bytes once, into a reused direct buffer.
      data = proto.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    } else {
      data = fromValues(alias, proto, type, Math.toIntExact(count), shape);
    }
    return new Tensor(type, shape, data);
  }

  // A shape from the wire can name more elements than a long holds; that is the caller's mistake, not ours.
  private static long elementCount(String alias, long[] shape) {
    try {
      return Tensor.elementCount(shape);
    } catch (ArithmeticException e) {
      throw new BadRequestException("input '" + alias + "': shape " + Arrays.toString(shape) + " is too large");
    }
  }

  private static ByteBuffer fromValues(String alias, TensorProto proto, ElementType type, int count, long[] shape) {
    int given;
    switch (type) {
      case FLOAT32 -> given = proto.getFloatValCount();
      case FLOAT64 -> given = proto.getDoubleValCount();
      case FLOAT16, BFLOAT16 -> given = proto.getHalfValCount();
      case INT64 -> given = proto.getInt64ValCount();
      default -> given = proto.getIntValCount();
    }
    if (given != count) {
      throw new BadRequestException("input '" + alias + "': holds " + given + " values but shape "
          + Arrays.toString(shape) + " needs " + count + " (send them in tensor_content or the "
          + valueField(type) + " field)");
    }
    ByteBuffer data = ByteBuffer.allocate(count * type.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < count; i++) {
      switch (type) {
        case FLOAT32 -> data.putFloat(proto.getFloatVal(i));
        case FLOAT64 -> data.putDouble(proto.getDoubleVal(i));
        case FLOAT16, BFLOAT16 -> data.putShort((short) proto.getHalfVal(i));
        case INT64 -> data.putLong(proto.getInt64Val(i));
        case INT32 -> data.putInt(proto.getIntVal(i));
        case UINT8, INT8 -> data.put((byte) proto.getIntVal(i));
      }
    }
    return data.rewind();
  }

  private static String valueField(ElementType type) {
    return switch (type) {
      case FLOAT32 -> "float_val";
      case FLOAT64 -> "double_val";
      case FLOAT16, BFLOAT16 -> "half_val";
      case INT64 -> "int64_val";
      default -> "int_val";
    };
  }

  /** A tensor as a {@code TensorProto} with its values in {@code tensor_content}. */
  public static TensorProto toProto(Tensor tensor) {
    return TensorProto.newBuilder()
        .setDtype(tensor.type().dataType())
        .setTensorShape(shapeProto(tensor.shape()))
        .setTensorContent(ByteString.copyFrom(tensor.data()))
        .build();
  }

  /** A {@code DT_STRING} tensor of shape {@code [N]}. */
  public static TensorProto strings(List<String> values) {
    TensorProto.Builder builder = TensorProto.newBuilder()
        .setDtype(DataType.DT_STRING)
        .setTensorShape(shapeProto(new long[] {values.size()}));
    values.forEach(v -> builder.addStringVal(ByteString.copyFromUtf8(v)));
    return builder.build();
  }

  /** A shape as a {@code TensorShapeProto}; unknown dimensions are -1, and null is an unknown rank. */
  public static TensorShapeProto shapeProto(long[] shape) {
    TensorShapeProto.Builder builder = TensorShapeProto.newBuilder();
    if (shape == null) {
      return builder.setUnknownRank(true).build();
    }
    for (long dim : shape) {
      builder.addDim(TensorShapeProto.Dim.newBuilder().setSize(dim < 0 ? -1 : dim));
    }
    return builder.build();
  }

  /** The dimensions of a {@code TensorShapeProto}. */
  public static long[] shape(TensorShapeProto proto) {
    return proto.getDimList().stream().mapToLong(TensorShapeProto.Dim::getSize).toArray();
  }

  /** {@code float32[batch, 1000]}-style description, for messages. */
  public static String describe(ElementType type, long[] shape) {
    return type + Shapes.describe(shape);
  }
}
