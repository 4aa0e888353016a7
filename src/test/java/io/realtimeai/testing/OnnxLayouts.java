package io.realtimeai.testing;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import io.realtimeai.generate.ModelGenerator;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.generate.OnnxGraphBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * The ONNX classifier layouts users bring, each made from the {@code tiny} classifier (images
 * {@code [batch,3,224,224]} → pool → dense → scores {@code [batch,10]}) by the edit an exporter
 * makes, so that every one must answer what {@code tiny} answers for the same pixels.
 */
public enum OnnxLayouts {
  /** {@code [N, C]}: the plain case. */
  CLASSES_N_C(ModelKind.TINY, m -> m, Images.NCHW, "", true),
  /** {@code [N, C, 1, 1]}, softmax over the channels, named as SqueezeNet's {@code softmaxout_1}. */
  CLASSES_N_C_1_1(ModelKind.TINY, OnnxLayouts::spatialSoftmax, Images.NCHW, "", false),
  /** {@code [1, C]}: a fixed batch of one. */
  FIXED_BATCH_OF_ONE(ModelKind.TINY, m -> batch(m, null, 1), Images.NCHW, "", true),
  /** Logits, with the definition asking for the softmax. */
  LOGITS_WITH_SOFTMAX(ModelKind.TINY, m -> m, Images.NCHW, "", true),
  /** An NHWC float input named as TensorFlow exports name it, {@code input_1:0}. */
  NHWC_INPUT_1(ModelKind.TINY, OnnxLayouts::nhwcInput, Images.NHWC, "'input_tensor': 'input_1:0'", true),
  /** uint8 NHWC pixels. */
  UINT8_IMAGES(ModelKind.TINY_UINT8, m -> m, Images.RAW_NHWC, "", true),
  /** float16 in and out. */
  FLOAT16(ModelKind.TINY_FP16, OnnxLayouts::float16Output, Images.NCHW, "", true),
  /** Quantize/dequantize pairs (QDQ int8) around the features. */
  QDQ_INT8(ModelKind.TINY, OnnxLayouts::qdq, Images.NCHW, "", true),
  /** A symbolic batch named {@code N}. */
  BATCH_NAMED_N(ModelKind.TINY, m -> batch(m, "N", 0), Images.NCHW, "", true),
  /** A symbolic batch named {@code batch_size}. */
  BATCH_NAMED_BATCH_SIZE(ModelKind.TINY, m -> batch(m, "batch_size", 0), Images.NCHW, "", true),
  /** A symbolic batch named as tf2onnx names unknown dimensions, {@code unk__618}. */
  BATCH_NAMED_UNK(ModelKind.TINY, m -> batch(m, "unk__618", 0), Images.NCHW, "", true),
  /** Weights in {@code model.onnx.data} beside the model (large PyTorch and Hugging Face exports). */
  EXTERNAL_DATA(ModelKind.TINY, m -> m, Images.NCHW, "", true);

  /** The classes of {@code tiny}. */
  public static final int CLASSES = 10;
  /** Raw pixels, NCHW float: {@code tiny}'s equal of the uint8 layout's image stage. */
  public static final String RAW_NCHW = "{ 'type': 'image', 'size': [224, 224] }";

  /** The image stages (a holder, as enum constants cannot read their own class's later fields). */
  private static final class Images {
    /** Model Zoo normalisation, NCHW: what {@code tiny} is fed. */
    static final String NCHW = ModelFolders.IMAGE_STAGE.replace('"', '\'');
    static final String NHWC = NCHW.replace(" }", ", 'layout': 'NHWC' }");
    /** Raw pixels, NHWC: what a model taking uint8 images wants. */
    static final String RAW_NHWC = "{ 'type': 'image', 'size': [224, 224], 'layout': 'NHWC' }";
  }

  private final ModelKind base;
  private final UnaryOperator<ModelProto> edit;
  private final String image;
  private final String tensors;
  private final boolean softmaxInDefinition;

  OnnxLayouts(ModelKind base, UnaryOperator<ModelProto> edit, String image, String tensors,
      boolean softmaxInDefinition) {
    this.base = base;
    this.edit = edit;
    this.image = image;
    this.tensors = tensors;
    this.softmaxInDefinition = softmaxInDefinition;
  }

  /** The image stage this layout's model is fed by. */
  public String image() {
    return image;
  }

  /**
   * Writes this layout's model as {@code model.onnx} (and {@code model.onnx.data} for external
   * data), 10 labels and its definition into {@code folder}.
   */
  public Path folder(Path folder) throws IOException {
    Files.createDirectories(folder);
    ModelProto model = edit.apply(ModelGenerator.generate(base, 42));
    if (this == EXTERNAL_DATA) {
      model = externalData(model, folder.resolve("model.onnx.data"));
    }
    OnnxGraphBuilder.write(model, folder.resolve("model.onnx"));
    ModelFolders.labels(folder, CLASSES);
    ModelFolders.definition(folder, "{ 'pipeline': [" + image + ", { 'type': 'onnx', 'model_path': 'model.onnx'"
        + (tensors.isEmpty() ? "" : ", " + tensors) + " } ], 'labels': 'labels.txt', "
        + "'output': { 'softmax': " + softmaxInDefinition + " } }");
    return folder;
  }

  private static ModelProto batch(ModelProto model, String name, long value) {
    ModelProto.Builder builder = model.toBuilder();
    GraphProto.Builder graph = builder.getGraphBuilder();
    for (ValueInfoProto.Builder info : graph.getInputBuilderList()) {
      setBatch(info, name, value);
    }
    for (ValueInfoProto.Builder info : graph.getOutputBuilderList()) {
      setBatch(info, name, value);
    }
    return builder.build();
  }

  private static void setBatch(ValueInfoProto.Builder info, String name, long value) {
    TensorShapeProto.Dimension.Builder dim = info.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().getDimBuilder(0);
    if (name != null) {
      dim.setDimParam(name);
    } else {
      dim.setDimValue(value);
    }
  }

  /** scores {@code [N,10]} → Reshape {@code [N,10,1,1]} → Softmax over the channels, as {@code softmaxout_1}. */
  private static ModelProto spatialSoftmax(ModelProto model) {
    ModelProto.Builder builder = model.toBuilder();
    GraphProto.Builder graph = builder.getGraphBuilder();
    graph.addInitializer(int64("spatial_shape", 0, CLASSES, 1, 1));
    graph.addNode(node("Reshape", "scores_spatial", "scores", "spatial_shape"));
    graph.addNode(node("Softmax", "softmaxout_1", "scores_spatial").toBuilder().addAttribute(
        AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT).setI(1)).build());
    ValueInfoProto.Builder output = graph.getOutputBuilder(0).setName("softmaxout_1");
    TensorShapeProto.Builder shape = output.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
    shape.addDimBuilder().setDimValue(1);
    shape.addDimBuilder().setDimValue(1);
    return builder.build();
  }

  /** A float NHWC input {@code input_1:0} [N,224,224,3] transposed into what {@code tiny} takes. */
  private static ModelProto nhwcInput(ModelProto model) {
    ModelProto.Builder builder = model.toBuilder();
    GraphProto.Builder graph = builder.getGraphBuilder();
    ValueInfoProto.Builder input = graph.getInputBuilder(0).setName("input_1:0");
    TensorShapeProto.Builder shape = input.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
    shape.getDimBuilder(1).setDimValue(224);
    shape.getDimBuilder(2).setDimValue(224);
    shape.getDimBuilder(3).setDimValue(3);
    graph.addNode(0, node("Transpose", "images", "input_1:0").toBuilder().addAttribute(AttributeProto.newBuilder()
        .setName("perm").setType(AttributeProto.AttributeType.INTS).addInts(0).addInts(3).addInts(1).addInts(2)).build());
    return builder.build();
  }

  /** float16 scores out as well as images in. */
  private static ModelProto float16Output(ModelProto model) {
    ModelProto.Builder builder = model.toBuilder();
    GraphProto.Builder graph = builder.getGraphBuilder();
    for (NodeProto.Builder node : graph.getNodeBuilderList()) {
      if (node.getOutput(0).equals("scores")) {
        node.setOutput(0, "scores_float").setName("scores_float");
      }
    }
    graph.addNode(node("Cast", "scores", "scores_float").toBuilder().addAttribute(AttributeProto.newBuilder()
        .setName("to").setType(AttributeProto.AttributeType.INT).setI(DataType.FLOAT16_VALUE)).build());
    graph.getOutputBuilder(0).getTypeBuilder().getTensorTypeBuilder().setElemType(DataType.FLOAT16_VALUE);
    return builder.build();
  }

  /** QuantizeLinear / DequantizeLinear (uint8, scale 1/64) between the pool and the dense layer. */
  private static ModelProto qdq(ModelProto model) {
    ModelProto.Builder builder = model.toBuilder();
    GraphProto.Builder graph = builder.getGraphBuilder();
    int flatten = -1;
    for (int i = 0; i < graph.getNodeCount(); i++) {
      if (graph.getNode(i).getOpType().equals("Flatten")) {
        flatten = i;
      }
    }
    graph.getNodeBuilder(flatten).setInput(0, "avgpool_dq");
    graph.addInitializer(TensorProto.newBuilder().setName("q_scale").setDataType(DataType.FLOAT_VALUE)
        .setRawData(ByteString.copyFrom(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(1f / 64).array())));
    graph.addInitializer(TensorProto.newBuilder().setName("q_zero").setDataType(DataType.UINT8_VALUE)
        .setRawData(ByteString.copyFrom(new byte[] {(byte) 128})));
    graph.addNode(flatten, node("DequantizeLinear", "avgpool_dq", "avgpool_q", "q_scale", "q_zero"));
    graph.addNode(flatten, node("QuantizeLinear", "avgpool_q", "avgpool", "q_scale", "q_zero"));
    return builder.build();
  }

  /** Every initializer's bytes moved into {@code data}, the model pointing at it by location, offset and length. */
  private static ModelProto externalData(ModelProto model, Path data) throws IOException {
    ModelProto.Builder builder = model.toBuilder();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (TensorProto.Builder tensor : builder.getGraphBuilder().getInitializerBuilderList()) {
      long offset = bytes.size();
      tensor.getRawData().writeTo(bytes);
      tensor.clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
          .addExternalData(entry("location", data.getFileName().toString()))
          .addExternalData(entry("offset", Long.toString(offset)))
          .addExternalData(entry("length", Long.toString(bytes.size() - offset)));
    }
    Files.write(data, bytes.toByteArray());
    return builder.build();
  }

  private static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }

  private static TensorProto int64(String name, long... values) {
    ByteBuffer bytes = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long value : values) {
      bytes.putLong(value);
    }
    return TensorProto.newBuilder().setName(name).setDataType(DataType.INT64_VALUE).addDims(values.length)
        .setRawData(ByteString.copyFrom(bytes.array())).build();
  }

  private static NodeProto node(String op, String output, String... inputs) {
    return NodeProto.newBuilder().setOpType(op).setName(output).addOutput(output).addAllInput(java.util.List.of(inputs))
        .build();
  }
}
