package io.realtimeai.pipeline;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.realtimeai.error.UnprocessableException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** An ONNX model on one ONNX Runtime session, created once and shared by every run. */
final class OnnxModel implements StageModel {
  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  private final OrtSession session;
  private final OrtSession.SessionOptions sessionOptions;
  private final BufferPool buffers;
  private final String accelerator;
  private final Map<String, Port> inputs;
  private final Map<String, Port> outputs;

  private OnnxModel(OrtSession session, OrtSession.SessionOptions sessionOptions, BufferPool buffers,
      String accelerator) throws OrtException {
    this.session = session;
    this.sessionOptions = sessionOptions;
    this.buffers = buffers;
    this.accelerator = accelerator;
    this.inputs = ports(session.getInputInfo());
    this.outputs = ports(session.getOutputInfo());
  }

  /**
   * Opens {@code file} on a new session with the pipeline's options and execution provider; its
   * external data files, if any, are read from beside it.
   *
   * @throws OrtException when ONNX Runtime cannot load the file: the package's fault
   * @throws IllegalStateException when the machine cannot give the options or accelerator asked for
   */
  static OnnxModel open(Path file, PipelineOptions options, BufferPool buffers) throws OrtException {
    OrtSession.SessionOptions sessionOptions;
    try {
      sessionOptions = Pipeline.sessionOptions(options);
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime refused the session options: " + e.getMessage(), e);
    }
    String accelerator;
    try {
      // Not the package's fault when it fails: the machine lacks the accelerator asked for.
      accelerator = options.accelerator().configure(sessionOptions);
    } catch (OrtException | RuntimeException e) {
      sessionOptions.close();
      throw new IllegalStateException(e.getMessage(), e);
    }
    OrtSession session = null;
    try {
      session = ENV.createSession(file.toString(), sessionOptions);
      return new OnnxModel(session, sessionOptions, buffers, accelerator);
    } catch (OrtException | RuntimeException e) {
      if (session != null) {
        closeQuietly(session);
      }
      sessionOptions.close();
      throw e;
    }
  }

  /** The execution provider this model really runs on. */
  String accelerator() {
    return accelerator;
  }

  private static Map<String, Port> ports(Map<String, NodeInfo> nodes) {
    Map<String, Port> ports = new LinkedHashMap<>();
    nodes.forEach((name, node) -> {
      if (node.getInfo() instanceof TensorInfo tensor) {
        ElementType type = ElementType.of(tensor.onnxType).orElse(null);
        // ONNX's own notation for what the pipeline cannot carry: tensor(string) is no tf.string input.
        String typeName = type != null ? type.toString() : "tensor(" + tensor.onnxType.name()
            .replace("ONNX_TENSOR_ELEMENT_DATA_TYPE_", "").toLowerCase(java.util.Locale.ROOT) + ")";
        ports.put(name, new Port(name, type, typeName, tensor.getShape()));
      } else {
        ports.put(name, new Port(name, null, String.valueOf(node.getInfo()), null));
      }
    });
    return Collections.unmodifiableMap(ports);
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

  static Optional<Port> find(Map<String, Port> ports, String name) {
    return ports.values().stream().filter(p -> TensorNames.matches(name, p.name())).findFirst();
  }

  @Override
  public boolean feedsEveryInput() {
    return true;
  }

  @Override
  public String engine() {
    return "ONNX Runtime";
  }

  @Override
  public Map<String, Tensor> run(Port input, Tensor value, Set<String> wanted) {
    List<ByteBuffer> leased = new ArrayList<>(1);
    try (OnnxTensor fed = createTensor(value, leased);
        OrtSession.Result result = session.run(Map.of(input.name(), fed), wanted)) {
      Map<String, Tensor> answer = new LinkedHashMap<>();
      for (String name : wanted) {
        OnnxValue out = result.get(name).orElseThrow();
        TensorInfo info = ((OnnxTensor) out).getInfo();
        answer.put(name, new Tensor(ElementType.of(info.onnxType).orElseThrow(), info.getShape(),
            ((OnnxTensor) out).getByteBuffer()));
      }
      return answer;
    } catch (OrtException e) {
      throw new UnprocessableException("the model could not run on this input: " + e.getMessage(), e);
    } finally {
      // Only now, with the tensor over them closed, may the buffers serve another call.
      leased.forEach(buffers::give);
    }
  }

  @Override
  public Map<String, Tensor> runEncoded(Port input, List<byte[]> images, Set<String> wanted) {
    throw new IllegalStateException("ONNX models take no encoded images");
  }

  /**
   * An engine tensor over the tensor's bytes: directly when they are already in direct memory
   * (ONNX Runtime then reads them in place), else copied into a pooled buffer added to {@code leased}.
   */
  private OnnxTensor createTensor(Tensor tensor, List<ByteBuffer> leased) throws OrtException {
    ByteBuffer data = tensor.data();
    if (!data.isDirect() || data.order() != ByteOrder.nativeOrder()) {
      ByteBuffer direct = buffers.take(data.remaining());
      leased.add(direct);
      direct.put(data).rewind();
      data = direct;
    }
    return OnnxTensor.createTensor(ENV, data, tensor.shape(), tensor.type().javaType());
  }

  @Override
  public void close() {
    closeQuietly(session);
    sessionOptions.close();
  }

  private static void closeQuietly(OrtSession session) {
    try {
      session.close();
    } catch (OrtException ignored) {
      // the session is going away with the pipeline; nothing useful to do with a failure here
    }
  }
}
