package io.realtimeai.generate;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.UnsafeByteOperations;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Builds one ONNX model (IR version 8, opset 17) node by node; every graph input and output has the
 * symbolic batch dimension {@code batch} first.
 */
public final class OnnxGraphBuilder {
  /** The ONNX IR version of the models built here; ONNX Runtime 1.x reads it. */
  public static final long IR_VERSION = 8;
  /** The default-domain opset the models built here import. */
  public static final long OPSET = 17;
  /** The name of the symbolic first dimension of every graph input and output. */
  public static final String BATCH = "batch";

  private final GraphProto.Builder graph;

  /** Starts an empty graph with this name. */
  public OnnxGraphBuilder(String name) {
    this.graph = GraphProto.newBuilder().setName(name);
  }

  /** Declares a graph input of shape {@code [batch, dims...]}. */
  public OnnxGraphBuilder input(String name, TensorProto.DataType type, long... dims) {
    graph.addInput(valueInfo(name, type, dims));
    return this;
  }

  /** Declares a graph output of shape {@code [batch, dims...]}. */
  public OnnxGraphBuilder output(String name, TensorProto.DataType type, long... dims) {
    graph.addOutput(valueInfo(name, type, dims));
    return this;
  }

  /** Adds a float32 initializer of the given shape and returns its name. */
  public String initializer(String name, float[] values, long... dims) {
    if (values.length != Arrays.stream(dims).reduce(1, Math::multiplyExact)) {
      throw new IllegalArgumentException(name + ": " + values.length + " values for shape " + Arrays.toString(dims));
    }
    // One bulk copy into little-endian raw_data: per-float protobuf calls would take ResNet-50 from
    // seconds to minutes. The array is ours alone, so protobuf may wrap it without copying it again.
    ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    graph.addInitializer(TensorProto.newBuilder()
        .setName(name)
        .setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addAllDims(Arrays.stream(dims).boxed().toList())
        .setRawData(UnsafeByteOperations.unsafeWrap(bytes.array())));
    return name;
  }

  /** Adds a node with one output, named after that output, and returns the output's name. */
  public String node(String opType, List<String> inputs, String output, AttributeProto... attributes) {
    graph.addNode(NodeProto.newBuilder()
        .setName(output)
        .setOpType(opType)
        .addAllInput(inputs)
        .addOutput(output)
        .addAllAttribute(List.of(attributes)));
    return output;
  }

  /** An integer attribute. */
  public static AttributeProto intAttribute(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
  }

  /** An attribute holding a list of integers. */
  public static AttributeProto intsAttribute(String name, long... values) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.INTS)
        .addAllInts(Arrays.stream(values).boxed().toList())
        .build();
  }

  /** The finished model. */
  public ModelProto build() {
    return ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .setProducerName("realtime-ai")
        .setGraph(graph)
        .build();
  }

  /** Writes a model to a file, replacing what was there. */
  public static void write(ModelProto model, Path file) throws IOException {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      model.writeTo(out);
    }
  }

  private static ValueInfoProto valueInfo(String name, TensorProto.DataType type, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    shape.addDimBuilder().setDimParam(BATCH);
    for (long dim : dims) {
      shape.addDimBuilder().setDimValue(dim);
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(TypeProto.newBuilder().setTensorType(
            TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape)))
        .build();
  }
}
