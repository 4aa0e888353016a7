package io.realtimeai.pipeline;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.realtimeai.error.BadRequestException;
import io.realtimeai.error.InvalidPackageException;
import io.realtimeai.error.UnprocessableException;
import io.realtimeai.pipeline.image.ImagePreprocessor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.imageio.ImageIO;

/**
 * A loaded service definition, ready to run: the image stage (if any), then each model stage on
 * one ONNX Runtime session created once, outputs fed to the next stage with element types
 * converted and shapes checked. Thread-safe: any number of calls may run at once, each on its own
 * engine run, or sharing runs when the definition asks for {@link Batching}.
 */
public final class Pipeline implements AutoCloseable {
  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  private final ServiceDefinition definition;
  private final ImagePreprocessor preprocessor;
  private final String inputAlias;
  private final List<Step> steps;
  private final List<String> labels;
  private final String accelerator;
  private final EngineThreads threads;
  private final PipelineOptions options;
  private final Map<String, OutputInfo> outputs;
  /** The engine's input buffers, reused from call to call (see {@link BufferPool} for why). */
  private final BufferPool buffers = new BufferPool();
  /** Null when the definition does not ask for batching: every call runs on its own. */
  private final DynamicBatcher batcher;

  /** One model stage: its session, the input it is fed and the output that goes on. */
  private record Step(
      String label,
      OrtSession session,
      OrtSession.SessionOptions sessionOptions,
      String inputName,
      ElementType inputType,
      long[] inputShape,
      String outputName,
      ElementType outputType,
      long[] outputShape,
      Set<String> requested,
      long[] checkDims) {

    boolean batchable() {
      return inputShape.length > 0 && inputShape[0] < 0;
    }
  }

  /**
   * One output the pipeline answers with.
   *
   * @param alias the name it is returned under (the definition's output name for the main output)
   * @param modelName the ONNX output it comes from
   * @param type its element type, as returned
   * @param shape its declared shape
   */
  public record OutputInfo(String alias, String modelName, ElementType type, long[] shape) {}

  private Pipeline(ServiceDefinition definition, ImagePreprocessor preprocessor, String inputAlias,
      List<Step> steps, List<String> labels, String accelerator, EngineThreads threads, PipelineOptions options) {
    this.definition = definition;
    this.preprocessor = preprocessor;
    this.inputAlias = inputAlias;
    this.steps = List.copyOf(steps);
    this.labels = labels;
    this.accelerator = accelerator;
    this.threads = threads;
    this.options = options;
    this.outputs = describeOutputs();
    this.batcher = definition.batching() == null ? null
        : new DynamicBatcher(definition.batching(), this::runBatch, buffers);
  }

  /**
   * Loads every model of the package at {@code root}, checks that the stages chain, and answers a
   * pipeline ready to run (not yet warmed up).
   *
   * @throws InvalidPackageException naming every problem, each with its field
   */
  public static Pipeline load(Path root, ServiceDefinition definition, AcceleratedCatalog catalog,
      PipelineOptions options) {
    Loader loader = new Loader(root, definition, catalog, options);
    try {
      return loader.load();
    } catch (RuntimeException e) {
      loader.closeAll();
      throw e;
    }
  }

  /**
   * What checking a package found: problems stop it from serving; warnings name what could not be
   * checked (an accelerated stage when no catalog is at hand).
   */
  public record Validation(List<String> problems, List<String> warnings, List<StageSignature> stages) {
    /** True when the package would serve. */
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  /**
   * What one stage takes and gives, as registered with a model: the stage type, the model it
   * runs (a file in the package, or {@code ref/version} from the catalog), and its input and
   * output names, element types and shapes (-1 where a dimension is free).
   */
  public record StageSignature(String type, String model, String input, String inputType, List<Long> inputShape,
      String output, String outputType, List<Long> outputShape) {}

  /**
   * Loads the package only to check it. Without a catalog ({@link AcceleratedCatalog#none()}),
   * accelerated stages are reported as warnings, not problems, so a package can be made offline.
   */
  public static Validation validate(Path root, ServiceDefinition definition, AcceleratedCatalog catalog) {
    Loader loader = new Loader(root, definition, catalog, PipelineOptions.validation());
    loader.checkOnly = true;
    try (Pipeline ignored = loader.load()) {
      return new Validation(List.of(), List.copyOf(loader.warnings), List.copyOf(loader.signatures));
    } catch (InvalidPackageException e) {
      loader.closeAll();
      return new Validation(e.details(), List.copyOf(loader.warnings), List.copyOf(loader.signatures));
    }
  }

  /**
   * The ONNX Runtime session options every model of a pipeline is loaded with (the execution
   * provider is added by {@link Accelerator}). Intra-op threads do not spin-wait for work after a
   * run: a spinning pool keeps a core busy for milliseconds after each inference, which on a
   * small machine starves the next stage's session, the image decoder and the gRPC threads (on
   * 2 cores, three sessions took ResNet-50 from 18 ms to 42 ms per run). Alone, one session
   * loses about 3% to this setting.
   */
  public static OrtSession.SessionOptions sessionOptions(PipelineOptions options) throws OrtException {
    OrtSession.SessionOptions sessionOptions = new OrtSession.SessionOptions();
    try {
      sessionOptions.setOptimizationLevel(options.optimize()
          ? OrtSession.SessionOptions.OptLevel.ALL_OPT : OrtSession.SessionOptions.OptLevel.BASIC_OPT);
      // 0 means from the machine: ONNX Runtime's own choice was 1 thread on a 2-core VM.
      sessionOptions.setIntraOpNumThreads(EngineThreads.resolve(options.intraOpThreads()));
      sessionOptions.addConfigEntry("session.intra_op.allow_spinning", "0");
      return sessionOptions;
    } catch (OrtException | RuntimeException e) {
      sessionOptions.close();
      throw e;
    }
  }

  /** The service definition this pipeline runs. */
  public ServiceDefinition definition() {
    return definition;
  }

  /** True when the pipeline takes encoded images, false when it takes a numeric tensor. */
  public boolean takesImages() {
    return preprocessor != null;
  }

  /** The Predict input alias: the image stage's input name, or the first model's input name. */
  public String inputAlias() {
    return inputAlias;
  }

  /** The element type a numeric input must have (the first model's input type). */
  public ElementType inputType() {
    return steps.get(0).inputType();
  }

  /** The input shape, batch first: {@code [batch]} of encoded images, or the first model's input shape. */
  public long[] inputShape() {
    return preprocessor != null ? new long[] {-1} : steps.get(0).inputShape().clone();
  }

  /** The outputs by alias, the main output first. */
  public Map<String, OutputInfo> outputs() {
    return outputs;
  }

  /** The labels file's lines, in class-index order; empty without a labels file. */
  public List<String> labels() {
    return labels;
  }

  /** The execution provider really in use: {@code CPU}, {@code CUDA} or {@code TensorRT}. */
  public String accelerator() {
    return accelerator;
  }

  /** The intra-op threads each model runs on, and why that many. */
  public EngineThreads engineThreads() {
    return threads;
  }

  /** True when {@code alias} names the input, with or without TensorFlow's {@code :0}. */
  public boolean isInputAlias(String alias) {
    return TensorNames.matches(alias, inputAlias);
  }

  /**
   * Runs the pipeline on a batch of encoded images.
   *
   * @throws BadRequestException for an empty or oversized batch
   * @throws UnprocessableException for an image that cannot be decoded, naming its index
   */
  public Map<String, Tensor> predictImages(List<byte[]> images) {
    if (preprocessor == null) {
      throw new BadRequestException("input '" + inputAlias + "': this model takes a "
          + inputType() + " tensor " + Shapes.describe(inputShape()) + ", not encoded images");
    }
    checkBatch(images.size());
    int itemBytes = preprocessor.itemBytes();
    // Decoded on the caller's thread (so concurrent calls decode in parallel), into a reused buffer.
    ByteBuffer batch = buffers.take(images.size() * itemBytes);
    try {
      for (int i = 0; i < images.size(); i++) {
        try {
          preprocessor.preprocess(images.get(i), batch);
        } catch (UnprocessableException e) {
          throw new UnprocessableException(
              "input '" + inputAlias + "'[" + i + "]: " + e.getMessage(), e);
        }
      }
      batch.rewind();
      long[] shape = Shapes.withBatch(images.size(), preprocessor.itemShape());
      return dispatch(new Tensor(steps.get(0).inputType(), shape, batch));
    } finally {
      buffers.give(batch);
    }
  }

  /**
   * Runs the pipeline on a numeric tensor; its type and shape must be the first model's.
   *
   * @throws BadRequestException naming the input when the type or shape is wrong
   */
  public Map<String, Tensor> predictTensor(Tensor input) {
    Step first = steps.get(0);
    if (preprocessor != null) {
      throw new BadRequestException("input '" + inputAlias + "': this model takes encoded images (DT_STRING), not a "
          + input.type() + " tensor");
    }
    if (input.type() != first.inputType()) {
      throw new BadRequestException("input '" + inputAlias + "': dtype " + input.type().dataType()
          + " does not match the model's " + first.inputType() + " (" + first.inputType().dataType() + ")");
    }
    long[] shape = input.shape();
    if (shape.length != first.inputShape().length
        || !Shapes.compatible(Shapes.item(shape), Shapes.item(first.inputShape()))
        || (first.inputShape()[0] >= 0 && first.inputShape()[0] != shape[0] && first.inputShape()[0] != 1)) {
      throw new BadRequestException("input '" + inputAlias + "': shape " + Arrays.toString(shape)
          + " does not match the model's " + Shapes.describe(first.inputShape()));
    }
    checkBatch(shape.length == 0 ? 1 : shape[0]);
    return shape.length == 0 ? run(input) : dispatch(input);
  }

  /** How many input buffers were allocated so far: constant once warm, whatever the number of calls. */
  long buffersAllocated() {
    return buffers.allocated();
  }

  /** Engine runs so far and how many carried more than one call; zeros without batching. */
  long[] batchedRunCounts() {
    return batcher == null ? new long[] {0, 0} : batcher.runCounts();
  }

  private Map<String, Tensor> dispatch(Tensor input) {
    return batcher == null ? run(input) : batcher.run(input);
  }

  /** Runs the pipeline a few times on a synthetic input so the first real call is not the slow one. */
  public void warmUp() {
    for (int i = 0; i < 3; i++) {
      if (preprocessor != null) {
        predictImages(List.of(sampleJpeg(definition.imageStage().orElseThrow())));
      } else {
        long[] item = Shapes.item(steps.get(0).inputShape());
        long[] shape = Shapes.withBatch(1, Arrays.stream(item).map(d -> d < 0 ? 1 : d).toArray());
        int bytes = Math.toIntExact(Tensor.elementCount(shape) * inputType().bytes());
        run(new Tensor(inputType(), shape, ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN)));
      }
    }
  }

  private void checkBatch(long size) {
    if (size < 1) {
      throw new BadRequestException("input '" + inputAlias + "': holds no " + (preprocessor != null ? "images" : "rows"));
    }
    if (size > options.maxBatch()) {
      throw new BadRequestException("input '" + inputAlias + "': " + size + " items in one call, above the limit of "
          + options.maxBatch());
    }
  }

  private Map<String, Tensor> run(Tensor input) {
    boolean batchable = steps.stream().allMatch(Step::batchable);
    long batch = input.shape()[0];
    if (batchable || batch == 1) {
      return runBatch(input);
    }
    // A model with a fixed batch of one: run item by item and stack the outputs.
    long[] item = Shapes.item(input.shape());
    int itemBytes = Math.toIntExact(Tensor.elementCount(item) * input.type().bytes());
    List<Map<String, Tensor>> parts = new ArrayList<>();
    ByteBuffer data = input.data();
    for (int i = 0; i < batch; i++) {
      ByteBuffer slice = data.slice(i * itemBytes, itemBytes).order(ByteOrder.LITTLE_ENDIAN);
      parts.add(runBatch(new Tensor(input.type(), Shapes.withBatch(1, item), slice)));
    }
    Map<String, Tensor> stacked = new LinkedHashMap<>();
    for (String alias : parts.get(0).keySet()) {
      stacked.put(alias, stack(parts.stream().map(p -> p.get(alias)).toList()));
    }
    return stacked;
  }

  private Map<String, Tensor> runBatch(Tensor input) {
    List<AutoCloseable> open = new ArrayList<>();
    List<ByteBuffer> leased = new ArrayList<>(1);
    try {
      OnnxTensor current = createTensor(input, leased);
      open.add(current);
      OrtSession.Result result = null;
      Pinned pinned = null;
      for (Step step : steps) {
        OnnxTensor fed = adapt(current, step, open, leased);
        pinned = pinOutput(step, fed.getInfo().getShape()[0], open, leased);
        if (pinned == null) {
          result = step.session().run(Map.of(step.inputName(), fed), step.requested());
          current = (OnnxTensor) result.get(step.outputName()).orElseThrow();
        } else {
          Set<String> others = new LinkedHashSet<>(step.requested());
          others.remove(step.outputName());
          result = step.session().run(Map.of(step.inputName(), fed), others, Map.of(step.outputName(), pinned.tensor()));
          current = pinned.tensor();
        }
        open.add(result);
        if (step.checkDims() != null) {
          checkDims(step, current.getInfo().getShape());
        }
      }
      return collect(result, current, pinned == null ? null : pinned.buffer());
    } catch (OrtException e) {
      throw new UnprocessableException("the model could not run on this input: " + e.getMessage(), e);
    } finally {
      for (int i = open.size() - 1; i >= 0; i--) {
        try {
          open.get(i).close();
        } catch (Exception ignored) {
          // closing native tensors does not fail in practice; nothing to add to the caller's error
        }
      }
      // Only now, with the tensors over them closed, may the buffers serve another call.
      leased.forEach(buffers::give);
    }
  }

  /** Converts the element type and reshapes when the next model declares another layout of the same elements. */
  private OnnxTensor adapt(OnnxTensor current, Step step, List<AutoCloseable> open, List<ByteBuffer> leased)
      throws OrtException {
    TensorInfo info = current.getInfo();
    ElementType type = ElementType.of(info.onnxType).orElseThrow();
    long[] shape = info.getShape();
    long[] wanted = shape;
    long[] item = Shapes.item(step.inputShape());
    if (!Arrays.equals(Shapes.item(shape), item) && Shapes.isStatic(item)
        && Shapes.itemElements(shape) == Tensor.elementCount(item)) {
      wanted = Shapes.withBatch(shape[0], item);
    }
    if (type == step.inputType() && wanted == shape) {
      return current;
    }
    Tensor converted = new Tensor(type, shape, current.getByteBuffer()).convertTo(step.inputType()).reshape(wanted);
    OnnxTensor adapted = createTensor(converted, leased);
    open.add(adapted);
    return adapted;
  }

  private static void checkDims(Step step, long[] actual) {
    long[] dims = step.checkDims();
    long[] item = Shapes.item(actual);
    boolean matches = Arrays.equals(item, dims) || Arrays.equals(item, Shapes.item(dims)) && dims.length == actual.length;
    if (!matches) {
      throw new IllegalStateException(step.label() + " produced " + Arrays.toString(actual)
          + ", not output_tensor_dims " + Arrays.toString(dims));
    }
  }

  /**
   * The step's main output as an engine tensor over a pooled buffer (added to {@code leased}), which
   * ONNX Runtime then writes in place; null when its shape is not known before the run (a free
   * dimension besides the batch), and the engine allocates it.
   */
  private Pinned pinOutput(Step step, long batch, List<AutoCloseable> open, List<ByteBuffer> leased)
      throws OrtException {
    long[] item = Shapes.item(step.outputShape());
    if (step.outputShape().length == 0 || !Shapes.isStatic(item)) {
      return null;
    }
    long[] shape = Shapes.withBatch(step.outputShape()[0] >= 0 ? step.outputShape()[0] : batch, item);
    ByteBuffer buffer = buffers.take(Math.toIntExact(Tensor.elementCount(shape) * step.outputType().bytes()));
    leased.add(buffer);
    OnnxTensor tensor = OnnxTensor.createTensor(ENV, buffer, shape, step.outputType().javaType());
    open.add(tensor);
    return new Pinned(tensor, buffer);
  }

  /** An engine tensor over a pooled buffer. */
  private record Pinned(OnnxTensor tensor, ByteBuffer buffer) {}

  /**
   * The outputs the pipeline answers with, copied out of the engine's tensors: {@code last} is the
   * last step's main output, over {@code lastBuffer} when it was pinned, which goes back to the pool
   * after this.
   */
  private Map<String, Tensor> collect(OrtSession.Result result, OnnxTensor last, ByteBuffer lastBuffer)
      throws OrtException {
    Map<String, Tensor> answer = new LinkedHashMap<>();
    Step lastStep = steps.get(steps.size() - 1);
    for (OutputInfo output : outputs.values()) {
      boolean main = output.modelName().equals(lastStep.outputName());
      OnnxTensor tensor = main ? last : (OnnxTensor) result.get(output.modelName()).orElseThrow();
      TensorInfo info = tensor.getInfo();
      // A pinned buffer is copied out: it serves another call as soon as this one returns.
      ByteBuffer data = main && lastBuffer != null
          ? ByteBuffer.allocate(lastBuffer.capacity()).order(ByteOrder.nativeOrder()).put(lastBuffer.duplicate().clear()).rewind()
          : tensor.getByteBuffer();
      Tensor out = new Tensor(ElementType.of(info.onnxType).orElseThrow(), info.getShape(), data)
          .convertTo(output.type());
      if (output.alias().equals(definition.output().name()) && definition.output().softmax()) {
        out = softmax(out);
      }
      answer.put(output.alias(), out);
    }
    return answer;
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

  /** Softmax over the last dimension. */
  static Tensor softmax(Tensor logits) {
    float[] values = logits.toFloats();
    long[] shape = logits.shape();
    int width = shape.length == 0 ? values.length : (int) shape[shape.length - 1];
    for (int row = 0; row + width <= values.length && width > 0; row += width) {
      float max = Float.NEGATIVE_INFINITY;
      for (int i = row; i < row + width; i++) {
        max = Math.max(max, values[i]);
      }
      double sum = 0;
      for (int i = row; i < row + width; i++) {
        values[i] = (float) Math.exp(values[i] - max);
        sum += values[i];
      }
      for (int i = row; i < row + width; i++) {
        values[i] = (float) (values[i] / sum);
      }
    }
    return Tensor.ofFloats(shape, values);
  }

  private static Tensor stack(List<Tensor> parts) {
    Tensor first = parts.get(0);
    long[] shape = first.shape();
    shape[0] = parts.stream().mapToLong(p -> p.shape()[0]).sum();
    int total = parts.stream().mapToInt(p -> p.data().remaining()).sum();
    ByteBuffer data = ByteBuffer.allocateDirect(total).order(ByteOrder.LITTLE_ENDIAN);
    parts.forEach(p -> data.put(p.data()));
    data.rewind();
    return new Tensor(first.type(), shape, data);
  }

  private Map<String, OutputInfo> describeOutputs() {
    Step last = steps.get(steps.size() - 1);
    Map<String, OutputInfo> described = new LinkedHashMap<>();
    try {
      Map<String, NodeInfo> info = last.session().getOutputInfo();
      for (String name : last.requested()) {
        TensorInfo tensor = (TensorInfo) info.get(name).getInfo();
        ElementType type = ElementType.of(tensor.onnxType).orElseThrow();
        // Floating outputs are answered as float32 (DT_FLOAT), as TensorFlow Serving clients expect.
        ElementType answered = type.isFloatingPoint() ? ElementType.FLOAT32 : type;
        String alias = name.equals(last.outputName()) ? definition.output().name() : name;
        described.put(alias, new OutputInfo(alias, name, answered, tensor.getShape()));
      }
    } catch (OrtException e) {
      throw new IllegalStateException("cannot read the outputs of " + last.label(), e);
    }
    return java.util.Collections.unmodifiableMap(described);
  }

  /** A small grey JPEG of the image stage's size, for warming up the decoder and the models. */
  private static byte[] sampleJpeg(ImageStage stage) {
    BufferedImage image = new BufferedImage(stage.width(), stage.height(), BufferedImage.TYPE_3BYTE_BGR);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "jpg", out);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode the warm-up image", e);
    }
    return out.toByteArray();
  }

  @Override
  public void close() {
    for (Step step : steps) {
      closeQuietly(step.session());
      step.sessionOptions().close();
    }
  }

  private static void closeQuietly(OrtSession session) {
    try {
      session.close();
    } catch (OrtException ignored) {
      // the session is going away with the pipeline; nothing useful to do with a failure here
    }
  }

  /** Builds a pipeline stage by stage, collecting every problem rather than stopping at the first. */
  private static final class Loader {
    private final Path root;
    private final ServiceDefinition definition;
    private final AcceleratedCatalog catalog;
    private final PipelineOptions options;
    private final List<String> problems = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final List<StageSignature> signatures = new ArrayList<>();
    private final List<Step> steps = new ArrayList<>();
    private boolean checkOnly;
    private String accelerator = "CPU";

    Loader(Path root, ServiceDefinition definition, AcceleratedCatalog catalog, PipelineOptions options) {
      this.root = root;
      this.definition = definition;
      this.catalog = catalog;
      this.options = options;
    }

    Pipeline load() {
      problems.addAll(ServiceDefinitions.structuralProblems(definition));
      if (!problems.isEmpty()) {
        throw new InvalidPackageException(problems);
      }
      List<Stage> pipeline = definition.pipeline();
      ImageStage image = definition.imageStage().orElse(null);
      long[] produced = image == null ? null : Shapes.withBatch(-1, image.itemShape());
      int producer = 0;
      for (int i = image == null ? 0 : 1; i < pipeline.size(); i++) {
        Step step = loadStep(i, pipeline.get(i), i == pipeline.size() - 1);
        if (step == null) {
          produced = null;
          continue;
        }
        steps.add(step);
        signatures.add(signature(pipeline.get(i), step));
        if (i == 1 && image != null) {
          signatures.add(0, new StageSignature("image", null, image.inputName(), "string", List.of(-1L),
              null, step.inputType().toString(), boxed(Shapes.withBatch(-1, image.itemShape()))));
        }
        if (i == 1 && image != null) {
          checkImageFeeds(image, step);
        } else if (produced != null) {
          checkChain(producer, produced, i, step);
        }
        produced = step.outputShape();
        producer = i;
      }
      List<String> labels = readLabels();
      checkBatching();
      if (!problems.isEmpty()) {
        throw new InvalidPackageException(problems);
      }
      if (checkOnly && !warnings.isEmpty()) {
        // A stage could not be resolved, so there is no whole pipeline to build; the check is done.
        closeAll();
        return null;
      }
      ImagePreprocessor preprocessor = image == null ? null
          : new ImagePreprocessor(image, steps.get(0).inputType(), options.maxImagePixels());
      String alias = image != null ? image.inputName() : steps.get(0).inputName();
      Pipeline loaded = new Pipeline(definition, preprocessor, alias, steps, labels, accelerator,
          EngineThreads.choose(options.intraOpThreads()), options);
      checkLabels(loaded, labels);
      if (!problems.isEmpty()) {
        throw new InvalidPackageException(problems);
      }
      return loaded;
    }

    private Step loadStep(int index, Stage stage, boolean last) {
      String field = "pipeline[" + index + "]";
      Path file;
      String label;
      String inputTensor;
      String outputTensor;
      long[] checkDims = null;
      if (stage instanceof OnnxStage onnx) {
        file = root.resolve(onnx.modelPath());
        label = "'" + onnx.modelPath() + "'";
        inputTensor = onnx.inputTensor();
        outputTensor = onnx.outputTensor();
        if (!Files.isRegularFile(file)) {
          problems.add(field + ".model_path: file '" + onnx.modelPath() + "' is not in the package");
          return null;
        }
        field = field + ".model_path";
      } else {
        AcceleratedStage accelerated = (AcceleratedStage) stage;
        String entry = "'" + accelerated.modelRef() + "/" + accelerated.modelVersion() + "'";
        label = "accelerated model " + entry;
        inputTensor = accelerated.inputTensor();
        outputTensor = accelerated.outputTensor();
        Optional<Path> found = catalog.find(accelerated.modelRef(), accelerated.modelVersion());
        if (found.isEmpty() && checkOnly && catalog.root() == null) {
          warnings.add(field + ".model_ref: " + entry + " not checked: no accelerated model catalog given");
          return null;
        }
        if (found.isEmpty()) {
          problems.add(field + ".model_ref: " + entry + " is not in the accelerated model catalog ("
              + catalog.describe() + ")");
          return null;
        }
        file = found.get();
        if (accelerated.outputTensorDims() != null) {
          checkDims = accelerated.outputTensorDims().stream().mapToLong(Long::longValue).toArray();
        }
        field = field + ".model_ref";
      }
      OrtSession.SessionOptions sessionOptions = null;
      OrtSession session;
      try {
        sessionOptions = sessionOptions(options);
      } catch (OrtException e) {
        throw new IllegalStateException("ONNX Runtime refused the session options: " + e.getMessage(), e);
      }
      try {
        // Not the package's fault when it fails: the machine lacks the accelerator asked for.
        accelerator = options.accelerator().configure(sessionOptions);
      } catch (OrtException | RuntimeException e) {
        sessionOptions.close();
        throw new IllegalStateException(e.getMessage(), e);
      }
      try {
        session = ENV.createSession(file.toString(), sessionOptions);
      } catch (OrtException | RuntimeException e) {
        if (sessionOptions != null) {
          sessionOptions.close();
        }
        problems.add(field + ": " + label + " is not a loadable ONNX model: " + firstLine(e.getMessage()));
        return null;
      }
      try {
        Step step = describe(index, label, session, sessionOptions, inputTensor, outputTensor, last, checkDims);
        if (step == null) {
          closeQuietly(session);
          sessionOptions.close();
        }
        return step;
      } catch (OrtException e) {
        closeQuietly(session);
        sessionOptions.close();
        problems.add(field + ": " + label + " cannot be inspected: " + firstLine(e.getMessage()));
        return null;
      }
    }

    private Step describe(int index, String label, OrtSession session, OrtSession.SessionOptions sessionOptions,
        String inputTensor, String outputTensor, boolean last, long[] checkDims) throws OrtException {
      String field = "pipeline[" + index + "]";
      Map<String, NodeInfo> inputs = session.getInputInfo();
      Map<String, NodeInfo> outputs = session.getOutputInfo();
      int before = problems.size();
      String input = pick(inputs.keySet(), inputTensor, field + ".input_tensor", label, "input");
      if (input != null && inputs.size() > 1) {
        problems.add(field + ": " + label + " has " + inputs.size() + " inputs " + inputs.keySet()
            + "; a pipeline stage feeds exactly one");
      }
      // The last stage may have several outputs: every one is returned, the first as the main one.
      String output = outputTensor == null && last && outputs.size() > 1
          ? outputs.keySet().iterator().next()
          : pick(outputs.keySet(), outputTensor, field + ".output_tensor", label, "output");
      if (problems.size() > before) {
        return null;
      }
      TensorInfo in = tensorInfo(inputs.get(input), field + ".input_tensor", label, input);
      TensorInfo out = tensorInfo(outputs.get(output), field + ".output_tensor", label, output);
      if (in == null || out == null) {
        return null;
      }
      Set<String> requested = new LinkedHashSet<>();
      requested.add(output);
      if (last) {
        for (Map.Entry<String, NodeInfo> entry : outputs.entrySet()) {
          if (entry.getValue().getInfo() instanceof TensorInfo info && ElementType.of(info.onnxType).isPresent()) {
            requested.add(entry.getKey());
          }
        }
      }
      long[] outShape = out.getShape();
      if (checkDims != null && !dimsMatch(outShape, checkDims)) {
        problems.add(field + ".output_tensor_dims: " + Arrays.toString(checkDims) + " does not match output '" + output
            + "' " + Shapes.describe(outShape) + " of " + label + " (the batch dimension is free)");
        return null;
      }
      return new Step(label, session, sessionOptions, input, ElementType.of(in.onnxType).orElseThrow(),
          in.getShape(), output, ElementType.of(out.onnxType).orElseThrow(), outShape, requested, checkDims);
    }

    private static StageSignature signature(Stage stage, Step step) {
      String model = stage instanceof OnnxStage onnx ? onnx.modelPath()
          : ((AcceleratedStage) stage).modelRef() + "/" + ((AcceleratedStage) stage).modelVersion();
      String outputType = "";
      try {
        TensorInfo info = (TensorInfo) step.session().getOutputInfo().get(step.outputName()).getInfo();
        outputType = ElementType.of(info.onnxType).map(ElementType::toString).orElse("");
      } catch (OrtException e) {
        outputType = "unknown";
      }
      return new StageSignature(stage instanceof OnnxStage ? "onnx" : "accelerated", model, step.inputName(),
          step.inputType().toString(), boxed(step.inputShape()), step.outputName(), outputType, boxed(step.outputShape()));
    }

    private static List<Long> boxed(long[] shape) {
      return Arrays.stream(shape).boxed().toList();
    }

    private String pick(Set<String> names, String wanted, String field, String label, String kind) {
      if (wanted != null) {
        for (String name : names) {
          if (TensorNames.matches(wanted, name)) {
            return name;
          }
        }
        problems.add(field + ": '" + wanted + "' is not an " + kind + " of " + label + " (" + kind + "s: "
            + String.join(", ", names) + ")");
        return null;
      }
      if (names.size() == 1) {
        return names.iterator().next();
      }
      problems.add(field + ": " + label + " has " + names.size() + " " + kind + "s (" + String.join(", ", names)
          + "); name the one to use in " + field.substring(field.lastIndexOf('.') + 1));
      return null;
    }

    private TensorInfo tensorInfo(NodeInfo node, String field, String label, String name) {
      if (node.getInfo() instanceof TensorInfo tensor && ElementType.of(tensor.onnxType).isPresent()) {
        return tensor;
      }
      problems.add(field + ": '" + name + "' of " + label + " is " + node.getInfo()
          + "; stages exchange numeric tensors only");
      return null;
    }

    private static boolean dimsMatch(long[] shape, long[] dims) {
      long[] item = Shapes.item(shape);
      if (dims.length == item.length) {
        return Shapes.compatible(item, dims);
      }
      return dims.length == shape.length && Shapes.compatible(item, Shapes.item(dims));
    }

    private void checkImageFeeds(ImageStage image, Step step) {
      String field = "pipeline[1].input_tensor";
      ElementType type = step.inputType();
      if (type != ElementType.FLOAT32 && type != ElementType.FLOAT16 && type != ElementType.UINT8) {
        problems.add(field + ": '" + step.inputName() + "' of " + step.label() + " takes " + type
            + "; an image stage produces float32, float16 or uint8");
      }
      long[] produced = image.itemShape();
      long[] wanted = Shapes.item(step.inputShape());
      if (!Shapes.compatible(produced, wanted)) {
        String hint = "";
        long[] other = new ImageStage(image.size(), image.resize(), image.shorterSide(), image.colorOrder(),
            image.mean(), image.std(), image.scale(),
            image.layout() == ImageStage.Layout.NCHW ? ImageStage.Layout.NHWC : ImageStage.Layout.NCHW,
            image.inputName()).itemShape();
        if (Shapes.compatible(other, wanted)) {
          hint = "; set the image stage's layout to " + (image.layout() == ImageStage.Layout.NCHW ? "NHWC" : "NCHW");
        }
        problems.add(field + ": '" + step.inputName() + "' of " + step.label() + " takes "
            + Shapes.describe(step.inputShape()) + " but the image stage produces "
            + Shapes.describe(Shapes.withBatch(-1, produced)) + " (layout " + image.layout() + ")" + hint);
      }
    }

    private void checkChain(int producer, long[] produced, int index, Step step) {
      long[] wanted = step.inputShape();
      boolean same = Shapes.compatible(Shapes.item(produced), Shapes.item(wanted));
      long producedCount = Shapes.itemElements(produced);
      long wantedCount = Shapes.itemElements(wanted);
      boolean reshapeable = producedCount >= 0 && producedCount == wantedCount;
      if (!same && !reshapeable) {
        problems.add("pipeline[" + index + "].input_tensor: '" + step.inputName() + "' of " + step.label()
            + " takes " + Shapes.describe(wanted) + " but pipeline[" + producer + "] produces "
            + Shapes.describe(produced));
      }
    }

    /** Batching stacks calls along the batch dimension, so every model must leave it free. */
    private void checkBatching() {
      if (definition.batching() == null) {
        return;
      }
      for (Step step : steps) {
        if (!step.batchable()) {
          problems.add("batching: " + step.label() + " takes " + Shapes.describe(step.inputShape())
              + ", a fixed batch; batching needs every model's first input dimension free (-1 or a name)");
        }
      }
    }

    private List<String> readLabels() {
      if (definition.labels() == null) {
        return List.of();
      }
      Path file = root.resolve(definition.labels());
      try {
        List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isBlank()) {
          lines.remove(lines.size() - 1);
        }
        if (lines.isEmpty()) {
          problems.add("labels: '" + definition.labels() + "' is empty");
        }
        return List.copyOf(lines);
      } catch (IOException e) {
        problems.add("labels: file '" + definition.labels() + "' is not in the package or cannot be read as UTF-8");
        return List.of();
      }
    }

    private void checkLabels(Pipeline pipeline, List<String> labels) {
      OutputInfo main = pipeline.outputs().values().iterator().next();
      long[] shape = main.shape();
      long classes = shape.length == 0 ? -1 : shape[shape.length - 1];
      if (!labels.isEmpty() && classes > 0 && classes != labels.size()) {
        problems.add("labels: '" + definition.labels() + "' has " + labels.size() + " lines but output '"
            + main.modelName() + "' has " + classes + " classes");
      }
    }

    void closeAll() {
      for (Step step : steps) {
        closeQuietly(step.session());
        step.sessionOptions().close();
      }
    }

    private static String firstLine(String message) {
      if (message == null) {
        return "unknown error";
      }
      int newline = message.indexOf('\n');
      return newline < 0 ? message : message.substring(0, newline);
    }
  }
}
