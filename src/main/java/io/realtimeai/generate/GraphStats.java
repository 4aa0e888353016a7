package io.realtimeai.generate;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Sizes of a graph built by {@link ModelGenerator}, counted the way torchvision counts them.
 *
 * @param parameters trainable weights: every initializer element except batch-norm running statistics
 * @param buffers batch-norm running means and variances, which are stored but not trained
 * @param macs multiply-accumulates of the Conv and Gemm nodes for one sample (batch 1)
 */
public record GraphStats(long parameters, long buffers, long macs) {

  /** Counts the parameters and per-sample MACs of a graph made of the operators this package emits. */
  public static GraphStats of(ModelProto model) {
    GraphProto graph = model.getGraph();
    Set<String> statistics = new HashSet<>();
    Map<String, long[]> shapes = new HashMap<>();
    for (NodeProto node : graph.getNodeList()) {
      if (node.getOpType().equals("BatchNormalization")) {
        statistics.addAll(node.getInputList().subList(3, 5));
      }
    }
    long parameters = 0;
    long buffers = 0;
    for (TensorProto tensor : graph.getInitializerList()) {
      long[] dims = tensor.getDimsList().stream().mapToLong(Long::longValue).toArray();
      shapes.put(tensor.getName(), dims);
      if (statistics.contains(tensor.getName())) {
        buffers += product(dims, 0);
      } else {
        parameters += product(dims, 0);
      }
    }
    for (ValueInfoProto input : graph.getInputList()) {
      // a symbolic dimension (the batch) counts as 1, so MACs come out per sample
      shapes.put(input.getName(), input.getType().getTensorType().getShape().getDimList().stream()
          .mapToLong(dim -> dim.hasDimValue() ? dim.getDimValue() : 1).toArray());
    }
    long macs = 0;
    for (NodeProto node : graph.getNodeList()) {
      long[] x = shapes.get(node.getInput(0));
      long[] y = switch (node.getOpType()) {
        case "Conv" -> window(node, x, shapes.get(node.getInput(1)));
        case "MaxPool" -> window(node, x, null);
        case "GlobalAveragePool" -> new long[] {x[0], x[1], 1, 1};
        case "Flatten" -> new long[] {x[0], product(x, 1)};
        case "Gemm" -> {
          long[] w = shapes.get(node.getInput(1));
          yield new long[] {x[0], intOf(node, "transB") == 1 ? w[0] : w[1]};
        }
        case "Transpose" -> Arrays.stream(ints(node, "perm")).map(axis -> x[(int) axis]).toArray();
        case "BatchNormalization", "Relu", "Add", "Softmax", "Cast" -> x;
        default -> throw new IllegalArgumentException("cannot size operator " + node.getOpType());
      };
      if (node.getOpType().equals("Conv")) {
        long[] w = shapes.get(node.getInput(1));
        macs += product(y, 0) * product(w, 1); // out_c*out_h*out_w * in_c/groups*k*k
      } else if (node.getOpType().equals("Gemm")) {
        macs += product(y, 0) * x[1];
      }
      shapes.put(node.getOutput(0), y);
    }
    return new GraphStats(parameters, buffers, macs);
  }

  /** The output shape of a Conv with weight [out_c, in_c, k, k], or of a MaxPool when weight is null. */
  private static long[] window(NodeProto node, long[] x, long[] weight) {
    boolean conv = weight != null;
    long[] kernel = conv ? Arrays.copyOfRange(weight, 2, 4) : ints(node, "kernel_shape");
    long[] strides = ints(node, "strides");
    long[] pads = ints(node, "pads");
    long[] y = {x[0], conv ? weight[0] : x[1], 0, 0};
    for (int i = 0; i < 2; i++) {
      long stride = strides.length == 0 ? 1 : strides[i];
      long pad = pads.length == 0 ? 0 : pads[i] + pads[i + 2];
      y[i + 2] = (x[i + 2] + pad - kernel[i]) / stride + 1;
    }
    return y;
  }

  private static long[] ints(NodeProto node, String name) {
    return node.getAttributeList().stream()
        .filter(a -> a.getName().equals(name) && a.getType() == AttributeProto.AttributeType.INTS)
        .findFirst()
        .map(a -> a.getIntsList().stream().mapToLong(Long::longValue).toArray())
        .orElse(new long[0]);
  }

  private static long intOf(NodeProto node, String name) {
    return node.getAttributeList().stream()
        .filter(a -> a.getName().equals(name))
        .mapToLong(AttributeProto::getI)
        .findFirst()
        .orElse(0);
  }

  private static long product(long[] dims, int from) {
    long product = 1;
    for (int i = from; i < dims.length; i++) {
      product *= dims[i];
    }
    return product;
  }
}
