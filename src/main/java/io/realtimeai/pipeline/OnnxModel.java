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
import java.util.LinkedHashSet;
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
  /** Every input's and output's declared shape, with the names of its symbolic dimensions. */
  private final Map<String, TensorInfo> tensorInfos;

  private OnnxModel(OrtSession session, OrtSession.SessionOptions sessionOptions, BufferPool buffers,
      String accelerator) throws OrtException {
    this.session = session;
    this.sessionOptions = sessionOptions;
    this.buffers = buffers;
    this.accelerator = accelerator;
    this.inputs = ports(session.getInputInfo());
    this.outputs = ports(session.getOutputInfo());
    Map<String, TensorInfo> infos = new LinkedHashMap<>();
    session.getInputInfo().forEach((n, node) -> {
      if (node.getInfo() instanceof TensorInfo tensor) {
        infos.put(n, tensor);
      }
    });
    session.getOutputInfo().forEach((n, node) -> {
      if (node.getInfo() instanceof TensorInfo tensor) {
        infos.put(n, tensor);
      }
    });
    this.tensorInfos = Collections.unmodifiableMap(infos);
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
    List<ByteBuffer> leased = new ArrayList<>(2);
    Map<String, OnnxTensor> pinned = new LinkedHashMap<>();
    Map<String, ByteBuffer> pinnedBuffers = new LinkedHashMap<>();
    try (OnnxTensor fed = createTensor(value, leased)) {
      long batch = value.shape().length == 0 ? 1 : value.shape()[0];
      for (String name : wanted) {
        long[] shape = pinnableShape(input.name(), name, batch);
        if (shape != null) {
          ElementType type = outputs.get(name).type();
          ByteBuffer buffer = buffers.take(Math.toIntExact(Tensor.elementCount(shape) * type.bytes()));
          leased.add(buffer);
          pinnedBuffers.put(name, buffer);
          pinned.put(name, OnnxTensor.createTensor(ENV, buffer, shape, type.javaType()));
        }
      }
      Set<String> allocated = new LinkedHashSet<>(wanted);
      allocated.removeAll(pinned.keySet());
      try (OrtSession.Result result = session.run(Map.of(input.name(), fed), allocated, pinned)) {
        Map<String, Tensor> answer = new LinkedHashMap<>();
        for (String name : wanted) {
          OnnxTensor out = pinned.containsKey(name) ? pinned.get(name) : (OnnxTensor) result.get(name).orElseThrow();
          TensorInfo info = out.getInfo();
          // A pinned buffer is copied out: it serves another run as soon as this one returns.
          ByteBuffer data = pinned.containsKey(name) ? copy(pinnedBuffers.get(name)) : out.getByteBuffer();
          answer.put(name, new Tensor(ElementType.of(info.onnxType).orElseThrow(), info.getShape(), data));
        }
        return answer;
      }
    } catch (OrtException e) {
      throw new UnprocessableException("the model could not run on this input: " + e.getMessage(), e);
    } finally {
      pinned.values().forEach(OnnxTensor::close);
      // Only now, with the tensors over them closed, may the buffers serve another call.
      leased.forEach(buffers::give);
    }
  }

  /**
   * The shape of output {@code name} for a run of {@code batch} rows when it is known before the run,
   * so that ONNX Runtime can write it into a pooled buffer: every dimension but the first fixed, and
   * the first fixed too or the input's own batch dimension (the same symbolic name). Null otherwise:
   * the engine allocates it (an output whose row count the model decides, say).
   */
  private long[] pinnableShape(String inputName, String name, long batch) {
    TensorInfo in = tensorInfos.get(inputName);
    TensorInfo out = tensorInfos.get(name);
    if (in == null || out == null || outputs.get(name).type() == null) {
      return null;
    }
    long[] shape = out.getShape();
    if (shape.length == 0 || !Shapes.isStatic(Shapes.item(shape))) {
      return null;
    }
    if (shape[0] >= 0) {
      return shape;
    }
    String[] inNames = in.getDimensionNames();
    String[] outNames = out.getDimensionNames();
    boolean sameBatch = in.getShape().length > 0 && in.getShape()[0] < 0 && inNames.length > 0 && outNames.length > 0
        && !inNames[0].isEmpty() && inNames[0].equals(outNames[0]);
    return sameBatch ? Shapes.withBatch(batch, Shapes.item(shape)) : null;
  }

  private static ByteBuffer copy(ByteBuffer pooled) {
    return ByteBuffer.allocate(pooled.limit()).order(ByteOrder.nativeOrder()).put(pooled.duplicate().rewind()).rewind();
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
