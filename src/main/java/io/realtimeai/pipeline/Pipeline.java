package io.realtimeai.pipeline;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;
import javax.imageio.ImageIO;

/**
 * A loaded service definition, ready to run: the image stage (if any), then each model stage on
 * its engine (ONNX Runtime, or TensorFlow for {@code tensorflow} stages), loaded once, outputs fed
 * to the next stage with element types converted and shapes checked. Thread-safe: any number of
 * calls may run at once, each on its own engine run, or sharing runs when the definition asks for
 * {@link Batching}.
 */
public final class Pipeline implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Pipeline.class.getName());

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
  private final BufferPool buffers;
  /** Null when the definition does not ask for batching: every call runs on its own. */
  private final DynamicBatcher batcher;

  /** One model stage: its model, the input it is fed and the output that goes on. */
  private record Step(
      String label,
      StageModel model,
      StageModel.Port input,
      StageModel.Port output,
      Set<String> requested,
      long[] checkDims) {

    String inputName() {
      return input.name();
    }

    ElementType inputType() {
      return input.type();
    }

    /** The input's shape; null when the model does not say even its rank. */
    long[] inputShape() {
      return input.shape();
    }

    String outputName() {
      return output.name();
    }

    long[] outputShape() {
      return output.shape();
    }

    /** True when the model takes any batch size (a graph that says nothing of its input's shape does). */
    boolean batchable() {
      long[] shape = input.shape();
      return shape == null || shape.length > 0 && shape[0] < 0;
    }

    /** True for a {@code tf.string} input fed one encoded image per run (a scalar, or a rank it does not say). */
    boolean takesOneImageAtATime() {
      return input.takesEncoded() && (input.shape() == null || input.shape().length == 0);
    }
  }

  /**
   * One output the pipeline answers with.
   *
   * @param alias the name it is returned under (the definition's output name for the main output)
   * @param modelName the model output it comes from
   * @param type its element type, as returned
   * @param shape its declared shape, as returned (null when the model does not say its rank)
   */
  public record OutputInfo(String alias, String modelName, ElementType type, long[] shape) {}

  private Pipeline(ServiceDefinition definition, ImagePreprocessor preprocessor, String inputAlias,
      List<Step> steps, List<String> labels, String accelerator, EngineThreads threads, PipelineOptions options,
      BufferPool buffers) {
    this.definition = definition;
    this.preprocessor = preprocessor;
    this.inputAlias = inputAlias;
    this.steps = List.copyOf(steps);
    this.labels = labels;
    this.accelerator = accelerator;
    this.threads = threads;
    this.options = options;
    this.buffers = buffers;
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
   * checked (an accelerated stage when no catalog is at hand); the stages as understood, and how
   * many labels the labels file holds (0 without one).
   */
  public record Validation(List<String> problems, List<String> warnings, List<StageSignature> stages, int labels) {
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
      return new Validation(List.of(), List.copyOf(loader.warnings), List.copyOf(loader.signatures), loader.labelCount);
    } catch (InvalidPackageException e) {
      loader.closeAll();
      return new Validation(e.details(), List.copyOf(loader.warnings), List.copyOf(loader.signatures),
          loader.labelCount);
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
    return preprocessor != null || steps.get(0).input().takesEncoded();
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
    long[] shape = steps.get(0).inputShape();
    return takesImages() || shape == null ? new long[] {-1} : shape.clone();
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

  /**
   * True when {@code alias} names the input, with or without TensorFlow's {@code :0}: the alias, or
   * the first model's own input name.
   */
  public boolean isInputAlias(String alias) {
    return TensorNames.matches(alias, inputAlias) || preprocessor == null && TensorNames.matches(alias, steps.get(0).inputName());
  }

  /**
   * Runs the pipeline on a batch of encoded images.
   *
   * @throws BadRequestException for an empty or oversized batch
   * @throws UnprocessableException for an image that cannot be decoded, naming its index
   */
  public Map<String, Tensor> predictImages(List<byte[]> images) {
    return predictImages(images, new CallTimings());
  }

  /** {@link #predictImages(List)}, noting in {@code timings} where the call's time went. */
  public Map<String, Tensor> predictImages(List<byte[]> images, CallTimings timings) {
    if (!takesImages()) {
      throw new BadRequestException("input '" + inputAlias + "': this model takes a "
          + inputType() + " tensor " + Shapes.describe(inputShape()) + ", not encoded images");
    }
    checkBatch(images.size());
    if (preprocessor == null) {
      // The model decodes the images itself: its whole run is inference.
      long started = System.nanoTime();
      Map<String, Tensor> outputs = predictEncoded(images);
      timings.engine(0, System.nanoTime() - started, images.size());
      return outputs;
    }
    int itemBytes = preprocessor.itemBytes();
    // Decoded on the caller's thread (so concurrent calls decode in parallel), into a reused buffer.
    long preprocessing = System.nanoTime();
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
      timings.preprocessed(System.nanoTime() - preprocessing);
      long[] shape = Shapes.withBatch(images.size(), preprocessor.itemShape());
      return dispatch(new Tensor(steps.get(0).inputType(), shape, batch), timings);
    } finally {
      buffers.give(batch);
    }
  }

  /**
   * Feeds the images as they came to a model that decodes them itself (a {@code tf.string}
   * input): all at once to a vector input, else one run of the whole pipeline per image, the
   * outputs stacked (images of different sizes may give tensors that could not be stacked midway).
   */
  private Map<String, Tensor> predictEncoded(List<byte[]> images) {
    Step first = steps.get(0);
    if (!first.takesOneImageAtATime()) {
      return chain(1, first.model().runEncoded(first.input(), images, first.requested()));
    }
    List<Map<String, Tensor>> parts = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      try {
        parts.add(chain(1, first.model().runEncoded(first.input(), List.of(images.get(i)), first.requested())));
      } catch (UnprocessableException e) {
        throw new UnprocessableException("input '" + inputAlias + "'[" + i + "]: " + e.getMessage(), e);
      }
    }
    return stackAll(parts);
  }

  /**
   * Runs the pipeline on a numeric tensor; its type and shape must be the first model's.
   *
   * @throws BadRequestException naming the input when the type or shape is wrong
   */
  public Map<String, Tensor> predictTensor(Tensor input) {
    return predictTensor(input, new CallTimings());
  }

  /** {@link #predictTensor(Tensor)}, noting in {@code timings} where the call's time went. */
  public Map<String, Tensor> predictTensor(Tensor input, CallTimings timings) {
    Step first = steps.get(0);
    if (takesImages()) {
      throw new BadRequestException("input '" + inputAlias + "': this model takes encoded images (DT_STRING), not a "
          + input.type() + " tensor");
    }
    if (input.type() != first.inputType()) {
      throw new BadRequestException("input '" + inputAlias + "': dtype " + input.type().dataType()
          + " does not match the model's " + first.inputType() + " (" + first.inputType().dataType() + ")");
    }
    long[] shape = input.shape();
    long[] declared = first.inputShape();
    if (declared != null && !fits(shape, declared)) {
      throw new BadRequestException("input '" + inputAlias + "': shape " + Arrays.toString(shape)
          + " does not match the model's " + Shapes.describe(declared));
    }
    checkBatch(shape.length == 0 ? 1 : shape[0]);
    if (shape.length == 0) {
      long started = System.nanoTime();
      Map<String, Tensor> outputs = run(input);
      timings.engine(0, System.nanoTime() - started, 1);
      return outputs;
    }
    return dispatch(input, timings);
  }

  /** True when a request of {@code shape} fits a model input declared {@code declared}: a scalar fits a scalar. */
  private static boolean fits(long[] shape, long[] declared) {
    if (shape.length != declared.length) {
      return false;
    }
    return declared.length == 0 || (Shapes.compatible(Shapes.item(shape), Shapes.item(declared))
        && (declared[0] < 0 || declared[0] == shape[0] || declared[0] == 1));
  }

  /** How many input buffers were allocated so far: constant once warm, whatever the number of calls. */
  long buffersAllocated() {
    return buffers.allocated();
  }

  /** Engine runs so far and how many carried more than one call; zeros without batching. */
  long[] batchedRunCounts() {
    return batcher == null ? new long[] {0, 0} : batcher.runCounts();
  }

  private Map<String, Tensor> dispatch(Tensor input, CallTimings timings) {
    if (batcher != null) {
      return batcher.run(input, timings);
    }
    long started = System.nanoTime();
    Map<String, Tensor> outputs = run(input);
    timings.engine(0, System.nanoTime() - started, input.shape()[0]);
    return outputs;
  }

  /**
   * Runs the pipeline a few times on a synthetic input so the first real call is not the slow one,
   * then once with {@link PipelineOptions#warmUpBatch} items when its models take batches: ONNX
   * Runtime's arena and the input buffers grow to one call of that size here rather than under the
   * load. Only the single-item runs must succeed: a model that declares a free batch and still
   * takes one item only (a {@code Reshape} to {@code [1, …]} inside) served single items before
   * this batch run existed, and still does.
   */
  public void warmUp() {
    for (int i = 0; i < 3; i++) {
      if (!warmUp(1)) {
        return;
      }
    }
    int largest = options.warmUpBatch();
    if (largest > 1 && steps.stream().allMatch(Step::batchable) && !steps.get(0).takesOneImageAtATime()) {
      try {
        warmUp(largest);
      } catch (RuntimeException e) {
        LOG.warning(() -> "warm-up: a batch of " + largest + " failed, so the first big batch will grow the engine's"
            + " memory under load: " + e.getMessage());
      }
    }
  }

  /** One run of {@code batch} synthetic items; false when the model refused them (it then starts cold). */
  private boolean warmUp(int batch) {
    if (preprocessor != null) {
      ImageStage stage = definition.imageStage().orElseThrow();
      predictImages(Collections.nCopies(batch, sampleImage(stage.width(), stage.height(), "jpg")));
    } else if (takesImages()) {
      return warmUpEncoded(batch);
    } else {
      long[] item = Shapes.item(steps.get(0).inputShape());
      long[] shape = Shapes.withBatch(batch, Arrays.stream(item).map(d -> d < 0 ? 1 : d).toArray());
      int bytes = Math.toIntExact(Tensor.elementCount(shape) * inputType().bytes());
      run(new Tensor(inputType(), shape, ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN)));
    }
    return true;
  }

  /**
   * A model that decodes images itself is warmed up on grey 224×224 PNGs (what the walkthrough's
   * graphs take). A graph that wants other images is not broken for refusing them: it starts cold.
   */
  private boolean warmUpEncoded(int batch) {
    try {
      predictImages(Collections.nCopies(batch, sampleImage(224, 224, "png")));
      return true;
    } catch (UnprocessableException e) {
      LOG.warning(() -> "warm-up skipped: " + steps.get(0).label() + " refused a grey 224x224 PNG: " + e.getMessage());
      return false;
    }
  }

  private void checkBatch(long size) {
    if (size < 1) {
      throw new BadRequestException("input '" + inputAlias + "': holds no " + (takesImages() ? "images" : "rows"));
    }
    if (size > options.maxBatch()) {
      throw new BadRequestException("input '" + inputAlias + "': " + size + " items in one call, above the limit of "
          + options.maxBatch());
    }
  }

  private Map<String, Tensor> run(Tensor input) {
    boolean batchable = steps.stream().allMatch(Step::batchable);
    // A scalar has no batch dimension: it is one item.
    long batch = input.shape().length == 0 ? 1 : input.shape()[0];
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
    return stackAll(parts);
  }

  private Map<String, Tensor> runBatch(Tensor input) {
    Step first = steps.get(0);
    return chain(1, first.model().run(first.input(), adapt(input, first), first.requested()));
  }

  /**
   * Runs the steps from {@code next} on, each fed the previous step's output, and answers the
   * pipeline's outputs from the last step's.
   */
  private Map<String, Tensor> chain(int next, Map<String, Tensor> produced) {
    Map<String, Tensor> result = produced;
    checkDims(steps.get(next - 1), result);
    for (int i = next; i < steps.size(); i++) {
      Step step = steps.get(i);
      Tensor current = result.get(steps.get(i - 1).outputName());
      result = step.model().run(step.input(), adapt(current, step), step.requested());
      checkDims(step, result);
    }
    return collect(result);
  }

  /** Converts the element type and reshapes when the next model declares another layout of the same elements. */
  private static Tensor adapt(Tensor current, Step step) {
    long[] shape = current.shape();
    long[] wanted = shape;
    long[] declared = step.inputShape();
    if (declared != null && shape.length > 0) {
      long[] item = Shapes.item(declared);
      if (!Arrays.equals(Shapes.item(shape), item) && Shapes.isStatic(item)
          && Shapes.itemElements(shape) == Tensor.elementCount(item)) {
        wanted = Shapes.withBatch(shape[0], item);
      }
    }
    return current.convertTo(step.inputType()).reshape(wanted);
  }

  private static void checkDims(Step step, Map<String, Tensor> result) {
    long[] dims = step.checkDims();
    if (dims == null) {
      return;
    }
    long[] actual = result.get(step.outputName()).shape();
    long[] item = Shapes.item(actual);
    boolean matches = Arrays.equals(item, dims) || Arrays.equals(item, Shapes.item(dims)) && dims.length == actual.length;
    if (!matches) {
      throw new IllegalStateException(step.label() + " produced " + Arrays.toString(actual)
          + ", not output_tensor_dims " + Arrays.toString(dims));
    }
  }

  private Map<String, Tensor> collect(Map<String, Tensor> result) {
    Map<String, Tensor> answer = new LinkedHashMap<>();
    for (OutputInfo output : outputs.values()) {
      Tensor out = result.get(output.modelName()).convertTo(output.type());
      if (output.alias().equals(definition.output().name())) {
        // [N, C, 1, 1] and [N, 1, 1, C] are answered as [N, C], as scoring clients and softmax want them.
        out = out.reshape(Shapes.classes(out.shape()));
        if (definition.output().softmax()) {
          out = softmax(out);
        }
      }
      answer.put(output.alias(), out);
    }
    return answer;
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

  /** The outputs of runs on parts of a batch, stacked along the batch dimension. */
  private static Map<String, Tensor> stackAll(List<Map<String, Tensor>> parts) {
    Map<String, Tensor> stacked = new LinkedHashMap<>();
    for (String alias : parts.get(0).keySet()) {
      stacked.put(alias, stack(parts.stream().map(p -> p.get(alias)).toList()));
    }
    return stacked;
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
    for (String name : last.requested()) {
      StageModel.Port port = name.equals(last.outputName()) ? last.output() : last.model().outputs().get(name);
      // Floating outputs are answered as float32 (DT_FLOAT), as TensorFlow Serving clients expect.
      ElementType answered = port.type().isFloatingPoint() ? ElementType.FLOAT32 : port.type();
      boolean main = name.equals(last.outputName());
      String alias = main ? definition.output().name() : name;
      long[] shape = main && port.shape() != null ? Shapes.classes(port.shape()) : port.shape();
      described.put(alias, new OutputInfo(alias, name, answered, shape));
    }
    return java.util.Collections.unmodifiableMap(described);
  }

  /** A small grey image, for warming up the decoder and the models. */
  private static byte[] sampleImage(int width, int height, String format) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, format, out);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode the warm-up image", e);
    }
    return out.toByteArray();
  }

  @Override
  public void close() {
    steps.forEach(step -> step.model().close());
  }

  /** Builds a pipeline stage by stage, collecting every problem rather than stopping at the first. */
  private static final class Loader {
    private final Path root;
    private final ServiceDefinition definition;
    private final AcceleratedCatalog catalog;
    private final PipelineOptions options;
    private final BufferPool buffers = new BufferPool();
    private final List<String> problems = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final List<StageSignature> signatures = new ArrayList<>();
    private final List<Step> steps = new ArrayList<>();
    private boolean checkOnly;
    private String accelerator = "CPU";
    private int labelCount;

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
              null, step.inputType() == null ? "" : step.inputType().toString(),
              boxed(Shapes.withBatch(-1, image.itemShape()))));
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
      // A model that decodes images itself takes them as Brainwave's clients send them: inputs["images"].
      String alias = image != null ? image.inputName()
          : steps.get(0).input().takesEncoded() ? ImageStage.DEFAULT_INPUT_NAME : steps.get(0).inputName();
      Pipeline loaded = new Pipeline(definition, preprocessor, alias, steps, labels, accelerator,
          EngineThreads.choose(options.intraOpThreads()), options, buffers);
      checkLabels(loaded, labels);
      if (!problems.isEmpty()) {
        throw new InvalidPackageException(problems);
      }
      return loaded;
    }

    private Step loadStep(int index, Stage stage, boolean last) {
      String field = "pipeline[" + index + "]";
      StageModel model;
      String label;
      String inputTensor;
      String outputTensor;
      long[] checkDims = null;
      if (stage instanceof OnnxStage onnx) {
        label = "'" + onnx.modelPath() + "'";
        inputTensor = onnx.inputTensor();
        outputTensor = onnx.outputTensor();
        Path file = root.resolve(onnx.modelPath());
        if (!Files.isRegularFile(file)) {
          problems.add(field + ".model_path: file '" + onnx.modelPath() + "' is not in the package");
          return null;
        }
        model = openOnnx(file, field + ".model_path", label);
      } else if (stage instanceof TensorflowStage tensorflow) {
        label = "'" + tensorflow.modelPath() + "'";
        inputTensor = tensorflow.inputTensor();
        outputTensor = tensorflow.outputTensor();
        Path path = root.resolve(tensorflow.modelPath());
        if (!Files.exists(path)) {
          problems.add(field + ".model_path: '" + tensorflow.modelPath()
              + "' is not in the package (a frozen GraphDef .pb file or a SavedModel folder)");
          return null;
        }
        try {
          // The only place TensorFlow is reached: pipelines without a tensorflow stage never load it.
          model = TensorflowModel.open(path, field, label, tensorflow, options);
        } catch (InvalidPackageException e) {
          problems.addAll(e.details());
          return null;
        }
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
        if (accelerated.outputTensorDims() != null) {
          checkDims = accelerated.outputTensorDims().stream().mapToLong(Long::longValue).toArray();
        }
        model = openOnnx(found.get(), field + ".model_ref", label);
      }
      if (model == null) {
        return null;
      }
      Step step = describe(index, label, model, inputTensor, outputTensor, last, checkDims);
      if (step == null) {
        model.close();
      }
      return step;
    }

    private StageModel openOnnx(Path file, String field, String label) {
      try {
        OnnxModel model = OnnxModel.open(file, options, buffers);
        accelerator = model.accelerator();
        return model;
      } catch (IllegalStateException e) {
        // The machine's fault (session options, the accelerator asked for), not the package's.
        throw e;
      } catch (OrtException | RuntimeException e) {
        // ONNX Runtime names the file by its absolute path (a temporary folder at packaging): the label says which.
        String name = file.getFileName().toString();
        String reason = firstLine(e.getMessage()).replaceAll("\\S*/" + java.util.regex.Pattern.quote(name), java.util.regex.Matcher.quoteReplacement(name));
        problems.add(field + ": " + label + " is not a loadable ONNX model: " + reason);
        return null;
      }
    }

    private Step describe(int index, String label, StageModel model, String inputTensor, String outputTensor,
        boolean last, long[] checkDims) {
      String field = "pipeline[" + index + "]";
      int before = problems.size();
      StageModel.Port input = pick(model.inputs(), inputTensor, model::input, field + ".input_tensor", label, "input");
      if (input != null && model.feedsEveryInput() && model.inputs().size() > 1) {
        problems.add(field + ": " + label + " has " + model.inputs().size() + " inputs " + model.inputs().keySet()
            + "; a pipeline stage feeds exactly one");
      }
      Map<String, StageModel.Port> outputs = model.outputs();
      // The last stage may have several outputs: every one is returned, the first as the main one.
      StageModel.Port output = outputTensor == null && last && outputs.size() > 1
          ? outputs.values().iterator().next()
          : pick(outputs, outputTensor, model::output, field + ".output_tensor", label, "output");
      if (problems.size() > before) {
        return null;
      }
      boolean first = steps.isEmpty() && definition.imageStage().isEmpty();
      if (input.takesEncoded() && !first) {
        problems.add(field + ".input_tensor: '" + input.name() + "' of " + label + " takes encoded images (tf.string);"
            + " only the first stage of a pipeline without an image stage is fed them");
      } else if (input.type() == null && !input.takesEncoded()) {
        problems.add(field + ".input_tensor: '" + input.name() + "' of " + label + " is " + input.typeName()
            + "; stages exchange numeric tensors only");
      }
      if (output.type() == null) {
        problems.add(field + ".output_tensor: '" + output.name() + "' of " + label + " is " + output.typeName()
            + "; stages exchange numeric tensors only");
      }
      if (problems.size() > before) {
        return null;
      }
      Set<String> requested = new LinkedHashSet<>();
      requested.add(output.name());
      if (last) {
        outputs.values().stream().filter(port -> port.type() != null).forEach(port -> requested.add(port.name()));
      }
      if (checkDims != null && (output.shape() == null || !dimsMatch(output.shape(), checkDims))) {
        problems.add(field + ".output_tensor_dims: " + Arrays.toString(checkDims) + " does not match output '"
            + output.name() + "' " + output.describeShape() + " of " + label + " (the batch dimension is free)");
        return null;
      }
      return new Step(label, model, input, output, requested, checkDims);
    }

    private static StageSignature signature(Stage stage, Step step) {
      String model = stage instanceof OnnxStage onnx ? onnx.modelPath()
          : stage instanceof TensorflowStage tensorflow ? tensorflow.modelPath()
          : ((AcceleratedStage) stage).modelRef() + "/" + ((AcceleratedStage) stage).modelVersion();
      String type = stage instanceof AcceleratedStage ? "accelerated" : stage.typeName();
      return new StageSignature(type, model, step.inputName(), step.input().typeName(), boxed(step.inputShape()),
          step.outputName(), step.output().typeName(), boxed(step.outputShape()));
    }

    private static List<Long> boxed(long[] shape) {
      return shape == null ? null : Arrays.stream(shape).boxed().toList();
    }

    private StageModel.Port pick(Map<String, StageModel.Port> ports, String wanted,
        java.util.function.Function<String, Optional<StageModel.Port>> byName, String field, String label, String kind) {
      if (wanted != null) {
        Optional<StageModel.Port> found = byName.apply(wanted);
        if (found.isEmpty()) {
          problems.add(field + ": '" + wanted + "' is not an " + kind + " of " + label + " (" + kind + "s: "
              + (ports.isEmpty() ? "none" : String.join(", ", ports.keySet())) + ")");
        }
        return found.orElse(null);
      }
      if (ports.size() == 1) {
        return ports.values().iterator().next();
      }
      problems.add(field + ": " + label + " has " + ports.size() + " " + kind + "s (" + String.join(", ", ports.keySet())
          + "); name the one to use in " + field.substring(field.lastIndexOf('.') + 1));
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
        problems.add(field + ": '" + step.inputName() + "' of " + step.label() + " takes " + step.input().typeName()
            + "; an image stage produces float32, float16 or uint8");
        return;
      }
      long[] produced = image.itemShape();
      long[] declared = step.inputShape();
      if (declared == null) {
        return;
      }
      long[] wanted = Shapes.item(declared);
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
            + Shapes.describe(declared) + " but the image stage produces "
            + Shapes.describe(Shapes.withBatch(-1, produced)) + " (layout " + image.layout() + ")" + hint);
      }
    }

    private void checkChain(int producer, long[] produced, int index, Step step) {
      long[] wanted = step.inputShape();
      if (produced == null || wanted == null) {
        return;
      }
      boolean same = Shapes.compatible(Shapes.item(produced), Shapes.item(wanted)) && produced.length == wanted.length;
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
        if (step.input().takesEncoded()) {
          problems.add("batching: " + step.label() + " decodes the images itself (a tf.string input), so calls"
              + " cannot be stacked into one run; drop batching or put an image stage first");
        } else if (!step.batchable()) {
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
        labelCount = lines.size();
        return List.copyOf(lines);
      } catch (IOException e) {
        problems.add("labels: file '" + definition.labels() + "' is not in the package or cannot be read as UTF-8");
        return List.of();
      }
    }

    private void checkLabels(Pipeline pipeline, List<String> labels) {
      OutputInfo main = pipeline.outputs().values().iterator().next();
      long[] shape = main.shape();
      long classes = shape == null || shape.length == 0 ? -1 : shape[shape.length - 1];
      if (!labels.isEmpty() && classes > 0 && classes != labels.size()) {
        problems.add("labels: '" + definition.labels() + "' has " + labels.size() + " lines but output '"
            + main.modelName() + "' " + Shapes.describe(shape) + " has " + classes + " classes");
      }
    }

    void closeAll() {
      steps.forEach(step -> step.model().close());
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
