package io.realtimeai.generate;

import static io.realtimeai.generate.OnnxGraphBuilder.intAttribute;
import static io.realtimeai.generate.OnnxGraphBuilder.intsAttribute;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Builds the {@link ModelKind} graphs with seeded random weights: the same kind and seed always give
 * byte-identical models, so tests and benchmarks run real architectures without downloading weights.
 */
public final class ModelGenerator {
  // Scales the last batch norm of each residual branch so that adding sixteen branches onto the
  // shortcut does not blow activations up by 2^16 when the weights are random.
  private static final float RESIDUAL_BRANCH_GAMMA = 0.2f;
  private static final int[] RESNET50_BLOCKS = {3, 4, 6, 3};

  private final SplittableRandom random;
  private final OnnxGraphBuilder graph;

  private ModelGenerator(String name, long seed) {
    this.random = new SplittableRandom(seed);
    this.graph = new OnnxGraphBuilder(name);
  }

  /** Builds a model of this kind with weights drawn from this seed. */
  public static ModelProto generate(ModelKind kind, long seed) {
    return generate(kind, seed, false);
  }

  /**
   * Builds a model of this kind with weights drawn from this seed; {@code spatial} keeps the spatial
   * dimensions of the ResNet-50 featurizer's output ({@code features} [batch,2048,1,1]) and applies
   * to {@link ModelKind#RESNET50} only.
   */
  public static ModelProto generate(ModelKind kind, long seed, boolean spatial) {
    if (spatial && kind != ModelKind.RESNET50) {
      throw new IllegalArgumentException("spatial features apply to " + ModelKind.RESNET50 + " only, not " + kind);
    }
    ModelGenerator g = new ModelGenerator(kind.id(), seed);
    g.build(kind, spatial);
    return g.graph.build();
  }

  private void build(ModelKind kind, boolean spatial) {
    switch (kind) {
      case RESNET50 -> {
        graph.input("images", DataType.FLOAT, 3, 224, 224);
        resnet50Features("images", spatial);
        graph.output("features", DataType.FLOAT, spatial ? new long[] {2048, 1, 1} : new long[] {2048});
      }
      case RESNET50_HEAD -> {
        graph.input("features", DataType.FLOAT, 2048);
        softmax(dense("fc", "features", 2048, 1000, "logits"));
        graph.output("probabilities", DataType.FLOAT, 1000);
      }
      case RESNET50_CLASSIFIER -> {
        graph.input("images", DataType.FLOAT, 3, 224, 224);
        softmax(dense("fc", resnet50Features("images", false), 2048, 1000, "logits"));
        graph.output("probabilities", DataType.FLOAT, 1000);
      }
      case TINY -> {
        graph.input("images", DataType.FLOAT, 3, 224, 224);
        dense("fc", pool("images", "pooled"), 3, 10, "scores");
        graph.output("scores", DataType.FLOAT, 10);
      }
      case TINY_FEATURIZER -> {
        graph.input("images", DataType.FLOAT, 3, 224, 224);
        dense("fc", pool("images", "pooled"), 3, 8, "features");
        graph.output("features", DataType.FLOAT, 8);
      }
      case TINY_HEAD -> {
        graph.input("features", DataType.FLOAT, 8);
        softmax(dense("fc", "features", 8, 10, "logits"));
        graph.output("probabilities", DataType.FLOAT, 10);
      }
      case TINY_MULTI -> {
        graph.input("images", DataType.FLOAT, 3, 224, 224);
        dense("fc", pool("images", "embedding"), 3, 10, "scores");
        graph.output("scores", DataType.FLOAT, 10).output("embedding", DataType.FLOAT, 3);
      }
      case TINY_FP16 -> {
        graph.input("images", DataType.FLOAT16, 3, 224, 224);
        String images = graph.node("Cast", List.of("images"), "images_float", intAttribute("to", DataType.FLOAT_VALUE));
        dense("fc", pool(images, "pooled"), 3, 10, "scores");
        graph.output("scores", DataType.FLOAT, 10);
      }
      case TINY_UINT8 -> {
        graph.input("images", DataType.UINT8, 224, 224, 3);
        String nhwc = graph.node("Cast", List.of("images"), "images_float", intAttribute("to", DataType.FLOAT_VALUE));
        String nchw = graph.node("Transpose", List.of(nhwc), "images_nchw", intsAttribute("perm", 0, 3, 1, 2));
        dense("fc", pool(nchw, "pooled"), 3, 10, "scores");
        graph.output("scores", DataType.FLOAT, 10);
      }
      case TINY_VECTOR -> {
        graph.input("x", DataType.FLOAT, 4);
        dense("fc", "x", 4, 3, "y");
        graph.output("y", DataType.FLOAT, 3);
      }
    }
  }

  /** ResNet-50 v1.5 as torchvision builds it, up to the global average pool; returns {@code features}. */
  private String resnet50Features(String images, boolean spatial) {
    String x = relu("relu", convBn("conv1", "bn1", images, 3, 64, 7, 2, 1f));
    x = graph.node("MaxPool", List.of(x), "maxpool",
        intsAttribute("kernel_shape", 3, 3), intsAttribute("strides", 2, 2), intsAttribute("pads", 1, 1, 1, 1));
    int channels = 64;
    for (int stage = 0; stage < RESNET50_BLOCKS.length; stage++) {
      int width = 64 << stage;
      for (int block = 0; block < RESNET50_BLOCKS[stage]; block++) {
        // v1.5: the first block of stages 2-4 downsamples in its 3x3 conv, not in its first 1x1
        int stride = stage > 0 && block == 0 ? 2 : 1;
        x = bottleneck("layer" + (stage + 1) + "." + block, x, channels, width, stride);
        channels = width * 4;
      }
    }
    if (spatial) {
      return graph.node("GlobalAveragePool", List.of(x), "features");
    }
    x = graph.node("GlobalAveragePool", List.of(x), "avgpool");
    return graph.node("Flatten", List.of(x), "features", intAttribute("axis", 1));
  }

  private String bottleneck(String name, String x, int channels, int width, int stride) {
    String y = relu(name + ".relu1", convBn(name + ".conv1", name + ".bn1", x, channels, width, 1, 1, 1f));
    y = relu(name + ".relu2", convBn(name + ".conv2", name + ".bn2", y, width, width, 3, stride, 1f));
    y = convBn(name + ".conv3", name + ".bn3", y, width, width * 4, 1, 1, RESIDUAL_BRANCH_GAMMA);
    String shortcut = stride == 1 && channels == width * 4
        ? x
        : convBn(name + ".downsample.0", name + ".downsample.1", x, channels, width * 4, 1, stride, 1f);
    return relu(name + ".relu", graph.node("Add", List.of(y, shortcut), name + ".add"));
  }

  /** A bias-free convolution with "same" padding followed by inference-mode batch normalization. */
  private String convBn(String conv, String bn, String x, int in, int out, int kernel, int stride, float gamma) {
    String weight = graph.initializer(conv + ".weight", heNormal(out * in * kernel * kernel, in * kernel * kernel),
        out, in, kernel, kernel);
    int pad = kernel / 2;
    String y = graph.node("Conv", List.of(x, weight), conv,
        intsAttribute("kernel_shape", kernel, kernel),
        intsAttribute("strides", stride, stride),
        intsAttribute("pads", pad, pad, pad, pad));
    return graph.node("BatchNormalization", List.of(y,
            graph.initializer(bn + ".weight", filled(out, gamma), out),
            graph.initializer(bn + ".bias", filled(out, 0f), out),
            graph.initializer(bn + ".running_mean", filled(out, 0f), out),
            graph.initializer(bn + ".running_var", filled(out, 1f), out)),
        bn);
  }

  /** A fully connected layer, {@code x · Wᵀ + b} with W of shape [out, in] as torchvision stores it. */
  private String dense(String name, String x, int in, int out, String output) {
    String weight = graph.initializer(name + ".weight", heNormal(out * in, in), out, in);
    float[] bias = new float[out];
    double bound = 1 / Math.sqrt(in);
    for (int i = 0; i < out; i++) {
      bias[i] = (float) random.nextDouble(-bound, bound);
    }
    return graph.node("Gemm", List.of(x, weight, graph.initializer(name + ".bias", bias, out)), output,
        intAttribute("transB", 1));
  }

  private String pool(String images, String output) {
    String pooled = graph.node("GlobalAveragePool", List.of(images), "avgpool");
    return graph.node("Flatten", List.of(pooled), output, intAttribute("axis", 1));
  }

  private String relu(String name, String x) {
    return graph.node("Relu", List.of(x), name);
  }

  private String softmax(String logits) {
    return graph.node("Softmax", List.of(logits), "probabilities", intAttribute("axis", -1));
  }

  /** He-normal weights: variance 2 / fan-in keeps activations of the same order through ReLU layers. */
  private float[] heNormal(int count, int fanIn) {
    double std = Math.sqrt(2.0 / fanIn);
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (float) (random.nextGaussian() * std);
    }
    return values;
  }

  private static float[] filled(int count, float value) {
    float[] values = new float[count];
    Arrays.fill(values, value);
    return values;
  }
}
