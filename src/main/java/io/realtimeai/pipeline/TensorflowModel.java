package io.realtimeai.pipeline;

import com.google.protobuf.InvalidProtocolBufferException;
import io.realtimeai.error.InvalidPackageException;
import io.realtimeai.error.UnprocessableException;
import io.realtimeai.proto.tensorflow.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.TensorFlow;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;

/**
 * A TensorFlow model on TensorFlow Java: a frozen GraphDef imported into a graph, or a SavedModel
 * run by one of its signatures; one session, shared by every run (TensorFlow sessions take
 * concurrent runs). This is the only class that touches TensorFlow, and the pipeline reaches it
 * only for a {@code tensorflow} stage: a pipeline without one never loads TensorFlow's 600 MB of
 * natives, and starts and runs as it did before TensorFlow was a dependency.
 */
final class TensorflowModel implements StageModel {
  /** The tag TensorFlow Serving loads SavedModels with. */
  private static final String SERVE_TAG = "serve";
  private static final Pattern MISSING_OP = Pattern.compile("Op type not registered '([^']+)'");
  /** The ops that hold state a frozen graph has turned into constants. */
  private static final Set<String> VARIABLES = Set.of("Variable", "VariableV2", "VarHandleOp");

  private final Graph graph;
  private final Session session;
  private final SavedModelBundle bundle;
  /** Inputs by name: a frozen graph's placeholders, or a signature's aliases. */
  private final Map<String, Port> inputs;
  private final Map<String, Port> outputs;
  /** A SavedModel's graph tensor by the alias that stands for it (empty for a frozen graph). */
  private final Map<String, String> tensors;

  private TensorflowModel(Graph graph, Session session, SavedModelBundle bundle, Map<String, Port> inputs,
      Map<String, Port> outputs, Map<String, String> tensors) {
    this.graph = graph;
    this.session = session;
    this.bundle = bundle;
    this.inputs = Collections.unmodifiableMap(inputs);
    this.outputs = Collections.unmodifiableMap(outputs);
    this.tensors = tensors;
  }

  /**
   * Loads the frozen GraphDef or SavedModel folder at {@code path}.
   *
   * @param field the stage's field in messages ({@code pipeline[1]})
   * @param label how messages name the model ({@code 'input_trans.pb'})
   * @throws InvalidPackageException naming the field, the file and the reason it cannot be loaded
   * @throws IllegalStateException when TensorFlow itself cannot start on this machine
   */
  static StageModel open(Path path, String field, String label, TensorflowStage stage, PipelineOptions options) {
    int threads = EngineThreads.resolve(options.intraOpThreads());
    // One inter-op thread: stages run one after the other, and ONNX Runtime's threads share the cores.
    ConfigProto config = ConfigProto.newBuilder()
        .setIntraOpParallelismThreads(threads).setInterOpParallelismThreads(1).build();
    try {
      return Files.isDirectory(path)
          ? openSavedModel(path, field, label, stage, config)
          : openGraphDef(path, field, label, stage, config);
    } catch (LinkageError e) {
      // The machine's fault, not the package's: TensorFlow's natives did not load here.
      throw new IllegalStateException("TensorFlow cannot start on this machine (" + System.getProperty("os.name") + " "
          + System.getProperty("os.arch") + "; this build carries TensorFlow's linux-x86_64 natives): "
          + firstLine(e.getMessage()), e);
    }
  }

  private static StageModel openGraphDef(Path file, String field, String label, TensorflowStage stage,
      ConfigProto config) {
    if (stage.signatureName() != null) {
      throw new InvalidPackageException(field + ".signature_name: " + label
          + " is a frozen GraphDef, which has no signatures (signature_name is for a SavedModel folder)");
    }
    GraphDef definition;
    try {
      definition = GraphDef.parseFrom(Files.readAllBytes(file));
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidPackageException(field + ".model_path: " + label
          + " is not a TensorFlow GraphDef (a binary protobuf): " + firstSentence(e.getMessage()));
    } catch (IOException e) {
      throw new InvalidPackageException(field + ".model_path: " + label + " cannot be read: " + e.getMessage());
    }
    if (definition.getNodeCount() == 0) {
      throw new InvalidPackageException(field + ".model_path: " + label
          + " is not a TensorFlow GraphDef: it holds no nodes");
    }
    Graph graph = new Graph();
    try {
      graph.importGraphDef(definition);
      Map<String, Port> inputs = new LinkedHashMap<>();
      Map<String, Port> outputs = new LinkedHashMap<>();
      for (Iterator<GraphOperation> ops = graph.operations(); ops.hasNext(); ) {
        GraphOperation op = ops.next();
        if (op.type().equals("Placeholder")) {
          Port port = port(op.name() + ":0", op.output(0));
          inputs.put(port.name(), port);
          continue;
        }
        if (VARIABLES.contains(op.type())) {
          // A graph with variables needs a checkpoint to restore them from, which a .pb does not hold.
          throw new InvalidPackageException(field + ".model_path: " + label + " is not frozen: its " + op.type() + " '"
              + op.name() + "' needs a checkpoint (freeze the graph: convert_variables_to_constants), or give the"
              + " SavedModel folder");
        }
        if (op.type().equals("Const") || op.type().equals("NoOp")) {
          continue;
        }
        for (int i = 0; i < op.numOutputs(); i++) {
          if (op.numConsumers(i) == 0) {
            Port port = port(op.name() + ":" + i, op.output(i));
            outputs.put(port.name(), port);
          }
        }
      }
      Session session = new Session(graph, config);
      return new TensorflowModel(graph, session, null, inputs, outputs, Map.of());
    } catch (InvalidPackageException e) {
      graph.close();
      throw e;
    } catch (RuntimeException e) {
      graph.close();
      throw new InvalidPackageException(field + ".model_path: " + label + " " + refusal(e));
    }
  }

  private static StageModel openSavedModel(Path folder, String field, String label, TensorflowStage stage,
      ConfigProto config) {
    if (!Files.isRegularFile(folder.resolve("saved_model.pb"))) {
      throw new InvalidPackageException(field + ".model_path: folder " + label
          + " is not a SavedModel: it has no saved_model.pb");
    }
    SavedModelBundle bundle;
    try {
      bundle = SavedModelBundle.loader(folder.toString()).withTags(SERVE_TAG).withConfigProto(config).load();
    } catch (RuntimeException e) {
      throw new InvalidPackageException(field + ".model_path: SavedModel " + label + " " + refusal(e));
    }
    String name = stage.signatureName() != null ? stage.signatureName() : TensorflowStage.DEFAULT_SIGNATURE;
    Map<String, SignatureDef> signatures = bundle.metaGraphDef().getSignatureDefMap();
    SignatureDef signature = signatures.get(name);
    if (signature == null) {
      bundle.close();
      throw new InvalidPackageException(field + ".signature_name: SavedModel " + label + " has no signature '" + name
          + "' (signatures: " + (signatures.isEmpty() ? "none" : String.join(", ", signatures.keySet().stream().sorted()
          .toList())) + ")");
    }
    Map<String, String> tensors = new LinkedHashMap<>();
    Map<String, Port> inputs = new LinkedHashMap<>();
    Map<String, Port> outputs = new LinkedHashMap<>();
    signature.getInputsMap().forEach((alias, info) -> {
      inputs.put(alias, port(alias, info));
      tensors.put(alias, info.getName());
    });
    signature.getOutputsMap().forEach((alias, info) -> {
      outputs.put(alias, port(alias, info));
      tensors.put(alias, info.getName());
    });
    return new TensorflowModel(bundle.graph(), bundle.session(), bundle, inputs, outputs, tensors);
  }

  /** Why TensorFlow refused a graph, as the end of a sentence that names it. */
  private static String refusal(RuntimeException e) {
    String message = firstLine(e.getMessage());
    Matcher missing = MISSING_OP.matcher(message);
    if (missing.find()) {
      return "uses op '" + missing.group(1) + "', which TensorFlow " + TensorFlow.version()
          + " here does not have (a custom op, or one its build leaves out)";
    }
    return "cannot be loaded by TensorFlow " + TensorFlow.version() + ": " + message;
  }

  private static Port port(String name, Output<?> output) {
    Shape shape = output.shape();
    return port(name, output.dataType().getNumber(), shape == null || shape.isUnknown() ? null : shape.asArray());
  }

  private static Port port(String alias, TensorInfo info) {
    TensorShapeProto shape = info.getTensorShape();
    long[] dims = !info.hasTensorShape() || shape.getUnknownRank() ? null
        : shape.getDimList().stream().mapToLong(TensorShapeProto.Dim::getSize).toArray();
    return port(alias, info.getDtypeValue(), dims);
  }

  private static Port port(String name, int dataType, long[] shape) {
    DataType type = DataType.forNumber(dataType);
    ElementType element = type == null ? null : ElementType.of(type).orElse(null);
    String typeName = element != null ? element.toString()
        : type == null ? "type " + dataType : type.name().replace("DT_", "").toLowerCase(Locale.ROOT);
    // A SavedModel's signature writes -1 for a free dimension, as a graph does.
    return new Port(name, element, typeName, shape);
  }

  @Override
  public Map<String, Port> inputs() {
    return inputs;
  }

  @Override
  public Map<String, Port> outputs() {
    return outputs;
  }

  @Override
  public Optional<Port> input(String name) {
    return find(inputs, name);
  }

  @Override
  public Optional<Port> output(String name) {
    return find(outputs, name);
  }

  /** A signature's alias or the graph tensor it stands for; in a frozen graph, any tensor. */
  private Optional<Port> find(Map<String, Port> ports, String name) {
    Optional<Port> byName = OnnxModel.find(ports, name);
    if (byName.isPresent()) {
      return byName;
    }
    if (bundle != null) {
      return tensors.entrySet().stream()
          .filter(e -> ports.containsKey(e.getKey()) && TensorNames.matches(name, e.getValue()))
          .map(e -> ports.get(e.getKey())).findFirst();
    }
    // TensorFlow feeds and fetches any tensor of a graph, not only its placeholders and ends.
    return graphTensor(name);
  }

  private Optional<Port> graphTensor(String name) {
    String canonical = name.contains(":") ? name : name + ":0";
    try {
      Output<?> output = graph.output(canonical);
      return output == null ? Optional.empty() : Optional.of(port(canonical, output));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  @Override
  public boolean feedsEveryInput() {
    return false;
  }

  @Override
  public String engine() {
    return "TensorFlow " + TensorFlow.version();
  }

  @Override
  public Map<String, Tensor> run(Port input, Tensor value, Set<String> wanted) {
    try (org.tensorflow.Tensor fed = toTensorflow(value)) {
      return run(input, fed, wanted);
    }
  }

  @Override
  public Map<String, Tensor> runEncoded(Port input, List<byte[]> images, Set<String> wanted) {
    boolean vector = input.shape() != null && input.shape().length == 1;
    try (TString fed = TString.tensorOfBytes(vector
        ? NdArrays.vectorOfObjects(images.toArray(byte[][]::new))
        : NdArrays.scalarOfObject(images.get(0)))) {
      return run(input, fed, wanted);
    }
  }

  private Map<String, Tensor> run(Port input, org.tensorflow.Tensor fed, Set<String> wanted) {
    Session.Runner runner = session.runner().feed(tensorName(input.name()), fed);
    List<String> names = List.copyOf(wanted);
    names.forEach(name -> runner.fetch(tensorName(name)));
    Map<String, Tensor> answer = new LinkedHashMap<>();
    try (Result result = runner.run()) {
      for (int i = 0; i < names.size(); i++) {
        answer.put(names.get(i), fromTensorflow(names.get(i), result.get(i)));
      }
      return answer;
    } catch (UnprocessableException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new UnprocessableException("the model could not run on this input: " + firstLine(e.getMessage()), e);
    }
  }

  private String tensorName(String name) {
    return tensors.getOrDefault(name, name);
  }

  private static org.tensorflow.Tensor toTensorflow(Tensor value) {
    ByteBuffer data = value.data();
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    Class<? extends TType> type = switch (value.type()) {
      case FLOAT32 -> TFloat32.class;
      case FLOAT16 -> TFloat16.class;
      case BFLOAT16 -> TBfloat16.class;
      case FLOAT64 -> TFloat64.class;
      case UINT8 -> TUint8.class;
      case INT32 -> TInt32.class;
      case INT64 -> TInt64.class;
      case INT8 -> throw new UnprocessableException("TensorFlow stages take no int8 tensors");
    };
    // TensorFlow's tensors are in the machine's byte order, little-endian like ours.
    return org.tensorflow.Tensor.of(type, Shape.of(value.shape()), DataBuffers.of(bytes, true, false));
  }

  private static Tensor fromTensorflow(String name, org.tensorflow.Tensor tensor) {
    DataType type = DataType.forNumber(tensor.dataType().getNumber());
    ElementType element = type == null ? null : ElementType.of(type).orElse(null);
    if (element == null) {
      throw new UnprocessableException("output '" + name + "' is " + tensor.dataType() + "; stages exchange numeric"
          + " tensors only");
    }
    byte[] bytes = new byte[Math.toIntExact(tensor.numBytes())];
    tensor.asRawTensor().data().read(bytes);
    ByteBuffer data = ByteBuffer.allocateDirect(bytes.length).order(ByteOrder.LITTLE_ENDIAN);
    data.put(bytes).rewind();
    return new Tensor(element, tensor.shape().asArray(), data);
  }

  /** Protobuf's parse errors run to three sentences of advice; the first says what is wrong. */
  private static String firstSentence(String message) {
    String line = firstLine(message);
    int end = line.indexOf(". ");
    return end < 0 ? line : line.substring(0, end + 1);
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unknown error";
    }
    int newline = message.indexOf('\n');
    return (newline < 0 ? message : message.substring(0, newline)).strip();
  }

  @Override
  public void close() {
    if (bundle != null) {
      bundle.close();
    } else {
      session.close();
      graph.close();
    }
  }
}
