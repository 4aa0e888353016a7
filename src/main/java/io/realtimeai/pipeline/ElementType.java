package io.realtimeai.pipeline;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.TensorInfo.OnnxTensorType;
import io.realtimeai.proto.tensorflow.DataType;
import java.util.Optional;

/** The tensor element types a pipeline moves between stages, with their ONNX and TensorFlow names. */
public enum ElementType {
  FLOAT32(4, OnnxJavaType.FLOAT, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, DataType.DT_FLOAT),
  FLOAT16(2, OnnxJavaType.FLOAT16, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, DataType.DT_HALF),
  BFLOAT16(2, OnnxJavaType.BFLOAT16, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16, DataType.DT_BFLOAT16),
  FLOAT64(8, OnnxJavaType.DOUBLE, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE, DataType.DT_DOUBLE),
  UINT8(1, OnnxJavaType.UINT8, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8, DataType.DT_UINT8),
  INT8(1, OnnxJavaType.INT8, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8, DataType.DT_INT8),
  INT32(4, OnnxJavaType.INT32, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32, DataType.DT_INT32),
  INT64(8, OnnxJavaType.INT64, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64, DataType.DT_INT64);

  private final int bytes;
  private final OnnxJavaType javaType;
  private final OnnxTensorType onnxType;
  private final DataType dataType;

  ElementType(int bytes, OnnxJavaType javaType, OnnxTensorType onnxType, DataType dataType) {
    this.bytes = bytes;
    this.javaType = javaType;
    this.onnxType = onnxType;
    this.dataType = dataType;
  }

  /** Bytes per element. */
  public int bytes() {
    return bytes;
  }

  /** The type ONNX Runtime's Java API names this element type with. */
  public OnnxJavaType javaType() {
    return javaType;
  }

  /** The TensorFlow {@code DataType} of this element type. */
  public DataType dataType() {
    return dataType;
  }

  /** True for the floating-point types. */
  public boolean isFloatingPoint() {
    return this == FLOAT32 || this == FLOAT16 || this == BFLOAT16 || this == FLOAT64;
  }

  /** The element type of an ONNX tensor, if the pipeline can carry it. */
  public static Optional<ElementType> of(OnnxTensorType onnxType) {
    for (ElementType type : values()) {
      if (type.onnxType == onnxType) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }

  /** The element type of a TensorFlow {@code DataType}, if the pipeline can carry it. */
  public static Optional<ElementType> of(DataType dataType) {
    for (ElementType type : values()) {
      if (type.dataType == dataType) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }

  /** The lower-case name used in messages and definitions ({@code float32}). */
  @Override
  public String toString() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
