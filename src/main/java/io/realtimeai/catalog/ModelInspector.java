package io.realtimeai.catalog;

import ai.onnxruntime.MapInfo;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.SequenceInfo;
import ai.onnxruntime.TensorInfo;
import io.realtimeai.pipeline.ElementType;
import io.realtimeai.pipeline.TensorNames;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Loads a catalog model once on ONNX Runtime to check it can serve as a featurizer, and reads its signature. */
final class ModelInspector {
  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();
  private static final String ONNX_TYPE_PREFIX = "ONNX_TENSOR_ELEMENT_DATA_TYPE_";

  private ModelInspector() {}

  /**
   * What loading the model showed.
   *
   * @param problems why it cannot serve as an accelerated stage, each a complete reason; empty when it can
   */
  record Inspection(List<TensorSpec> inputs, List<TensorSpec> outputs, List<String> problems) {}

  /**
   * Loads {@code model} in one CPU session with basic optimisation only (enough to prove it loads,
   * without paying for the full graph rewrite a serving session makes), reads its signature and closes it.
   */
  static Inspection inspect(Path model, ModelNotes notes) {
    List<String> problems = new ArrayList<>();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.BASIC_OPT);
      // One thread, and no spinning: a check must not take the cores of the functions running beside it.
      options.setIntraOpNumThreads(1);
      options.addConfigEntry("session.intra_op.allow_spinning", "0");
      try (OrtSession session = ENV.createSession(model.toString(), options)) {
        List<TensorSpec> inputs = describe(session.getInputInfo());
        List<TensorSpec> outputs = describe(session.getOutputInfo());
        check(inputs, outputs, notes, problems);
        return new Inspection(inputs, outputs, problems);
      }
    } catch (OrtException e) {
      // ONNX Runtime names the file it read: a temporary copy here, which would mean nothing to the user.
      String message = firstLine(e.getMessage()).replace(model.toString(), AcceleratedModels.MODEL_FILE);
      return new Inspection(List.of(), List.of(), List.of(
          AcceleratedModels.MODEL_FILE + ": not a loadable ONNX model: " + message));
    }
  }

  private static void check(List<TensorSpec> inputs, List<TensorSpec> outputs, ModelNotes notes, List<String> problems) {
    if (inputs.size() != 1) {
      problems.add(AcceleratedModels.MODEL_FILE + ": has " + inputs.size() + " inputs " + names(inputs)
          + "; an accelerated stage feeds exactly one");
    } else if (!isCarried(inputs.get(0).type())) {
      problems.add(AcceleratedModels.MODEL_FILE + ": input '" + inputs.get(0).name() + "' is " + inputs.get(0).type()
          + "; an accelerated stage is fed one of " + Arrays.toString(ElementType.values()));
    }
    if (outputs.isEmpty()) {
      problems.add(AcceleratedModels.MODEL_FILE + ": has no outputs");
    }
    if (notes.inputTensor() != null && inputs.stream().noneMatch(i -> TensorNames.matches(i.name(), notes.inputTensor()))) {
      problems.add(ModelNotes.FILE + ": input_tensor '" + notes.inputTensor() + "' is not an input of the model "
          + names(inputs));
    }
    if (notes.outputTensor() != null && outputs.stream().noneMatch(o -> TensorNames.matches(o.name(), notes.outputTensor()))) {
      problems.add(ModelNotes.FILE + ": output_tensor '" + notes.outputTensor() + "' is not an output of the model "
          + names(outputs));
    }
  }

  private static boolean isCarried(String type) {
    return Arrays.stream(ElementType.values()).anyMatch(t -> t.toString().equals(type));
  }

  private static List<TensorSpec> describe(Map<String, NodeInfo> nodes) {
    List<TensorSpec> specs = new ArrayList<>();
    for (NodeInfo node : nodes.values()) {
      if (node.getInfo() instanceof TensorInfo tensor) {
        specs.add(new TensorSpec(node.getName(), typeName(tensor),
            Arrays.stream(tensor.getShape()).boxed().toList()));
      } else if (node.getInfo() instanceof MapInfo) {
        specs.add(new TensorSpec(node.getName(), "map", List.of()));
      } else if (node.getInfo() instanceof SequenceInfo) {
        specs.add(new TensorSpec(node.getName(), "sequence", List.of()));
      } else {
        specs.add(new TensorSpec(node.getName(), "unknown", List.of()));
      }
    }
    return specs;
  }

  // The pipeline's own names (float32, uint8 …) where it carries the type; ONNX's otherwise (bool, string …).
  private static String typeName(TensorInfo tensor) {
    return ElementType.of(tensor.onnxType).map(ElementType::toString).orElseGet(() -> {
      String onnx = tensor.onnxType.name();
      return (onnx.startsWith(ONNX_TYPE_PREFIX) ? onnx.substring(ONNX_TYPE_PREFIX.length()) : onnx)
          .toLowerCase(Locale.ROOT);
    });
  }

  private static String names(List<TensorSpec> specs) {
    return specs.stream().map(s -> "'" + s.name() + "'").toList().toString();
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unknown error";
    }
    int newline = message.indexOf('\n');
    return (newline < 0 ? message : message.substring(0, newline)).strip();
  }
}
