package io.realtimeai.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Int32Value;
import com.google.protobuf.StringValue;
import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import io.realtimeai.pipeline.OutputSpec;
import io.realtimeai.telemetry.ServerTiming;
import io.realtimeai.telemetry.TraceContext;
import io.realtimeai.proto.serving.GetModelMetadataRequest;
import io.realtimeai.proto.serving.GetModelMetadataResponse;
import io.realtimeai.proto.serving.ModelSpec;
import io.realtimeai.proto.serving.PredictRequest;
import io.realtimeai.proto.serving.PredictResponse;
import io.realtimeai.proto.serving.PredictionServiceGrpc;
import io.realtimeai.proto.tensorflow.DataType;
import io.realtimeai.proto.tensorflow.TensorProto;
import io.realtimeai.proto.tensorflow.TensorShapeProto;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A client of a scoring service's {@code PredictionService}: one channel reused for every call, a
 * deadline per call, the service's key on every call, TLS when asked, and calls that fail with
 * {@code UNAVAILABLE} retried with exponential backoff (grpc-java's own retry policy).
 *
 * <p>A client of several replicas ({@link #builder(List)}) spreads its calls round-robin over the
 * replicas that report SERVING on {@code grpc.health.v1.Health} (grpc-java's {@code round_robin}
 * policy with client-side health checking): a replica that is loading or down gets no calls, and
 * when none is SERVING a call fails at once with {@code UNAVAILABLE}, retried like any other.
 */
public final class PredictionClient implements AutoCloseable {
  private static final String SERVICE = "tensorflow.serving.PredictionService";
  private static final Metadata.Key<String> TRACEPARENT =
      Metadata.Key.of(TraceContext.HEADER, Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> SERVER_TIMING =
      Metadata.Key.of(ServerTiming.HEADER, Metadata.ASCII_STRING_MARSHALLER);

  private final ManagedChannel channel;
  private final ReplicaResolverProvider replicas;
  private final PredictionServiceGrpc.PredictionServiceBlockingStub stub;
  private final KeyCredentials credentials;
  private final Duration deadline;
  private final String inputName;
  private volatile List<String> labels;

  private PredictionClient(Builder builder, ReplicaResolverProvider replicas) {
    this.replicas = replicas;
    this.channel = builder.channel(replicas);
    this.deadline = builder.deadline;
    this.inputName = builder.inputName;
    PredictionServiceGrpc.PredictionServiceBlockingStub base = PredictionServiceGrpc.newBlockingStub(channel);
    PredictionServiceGrpc.PredictionServiceBlockingStub noted = base.withInterceptors(new ReplicaHeader());
    this.credentials = builder.key == null ? null : new KeyCredentials(builder.key);
    this.stub = credentials == null ? noted : noted.withCallCredentials(credentials);
  }

  /** The key calls carry now, or null for a client built without one. */
  public String key() {
    return credentials == null ? null : credentials.key;
  }

  /**
   * Calls from now on carry {@code to} instead of {@code from} (the service's other key, while its
   * replicas have not yet been handed a new one), unless another thread changed the key meanwhile;
   * only for a client built with a key.
   */
  public void switchKey(String from, String to) {
    if (credentials == null || to == null || to.isBlank()) {
      throw new IllegalStateException("switchKey needs a client built with a key, and a key");
    }
    credentials.switchKey(from, to);
  }

  /**
   * A builder for a client of the one replica at {@code host:port}. Its channel resolves the
   * address with grpc's default resolver and checks no health on its own, so {@link #channel()}
   * can also ask the health of a replica that is still loading.
   */
  public static Builder builder(String address) {
    return new Builder(address, null);
  }

  /**
   * A builder for a client of a service's replicas ({@code host:port} each; host names are looked
   * up when the list is given): calls go round-robin to the replicas that are SERVING.
   */
  public static Builder builder(List<String> addresses) {
    return new Builder(null, addresses == null ? List.of() : List.copyOf(addresses));
  }

  /**
   * Replaces the replica list (replicas that restarted on new ports, replicas added or removed).
   * Calls in flight on a replica no longer listed finish there; new calls go to the new list.
   *
   * @throws IllegalStateException for a client built with {@link #builder(String)}
   * @throws IllegalArgumentException when the list is empty or an address is not {@code host:port}
   */
  public void updateAddresses(List<String> addresses) {
    if (replicas == null) {
      throw new IllegalStateException("a client built for one address cannot change it; build it with builder(List)");
    }
    replicas.update(addresses == null ? List.of() : List.copyOf(addresses));
  }

  /** Sends a request as it is. */
  public PredictResponse predict(PredictRequest request) {
    return stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS).predict(request);
  }

  /** Scores a batch of encoded images sent as one {@code DT_STRING} tensor of shape {@code [N]}. */
  public PredictResponse predictImages(List<byte[]> images) {
    return predict(imagesRequest(images));
  }

  /**
   * Scores a batch of encoded images as part of the trace of {@code span}: it goes to the runtime as
   * the {@code traceparent} metadata, and the runtime's own span and timings come back from its trailers.
   */
  public TracedResponse predictImages(List<byte[]> images, TraceContext span) {
    Metadata sent = new Metadata();
    sent.put(TRACEPARENT, span.header());
    AtomicReference<Metadata> headers = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    PredictResponse response = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(sent),
            MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
        .withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
        .predict(imagesRequest(images));
    Metadata answered = trailers.get();
    TraceContext runtimeSpan = answered == null ? null : TraceContext.parse(answered.get(TRACEPARENT)).orElse(null);
    Map<String, Double> timings = answered == null ? Map.of() : ServerTiming.parse(answered.get(SERVER_TIMING));
    return new TracedResponse(response, runtimeSpan, timings);
  }

  private PredictRequest imagesRequest(List<byte[]> images) {
    TensorProto.Builder tensor = TensorProto.newBuilder()
        .setDtype(DataType.DT_STRING)
        .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(images.size())));
    images.forEach(image -> tensor.addStringVal(ByteString.copyFrom(image)));
    return PredictRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName("default"))
        .putInputs(inputName, tensor.build())
        .build();
  }

  /** The top {@code n} labelled predictions of each image, from the main output ({@code output_alias}). */
  public List<List<Prediction>> classify(List<byte[]> images, int n) {
    PredictResponse response = predictImages(images);
    Map<String, TensorProto> outputs = response.getOutputsMap();
    TensorProto scores = outputs.containsKey(OutputSpec.DEFAULT_NAME)
        ? outputs.get(OutputSpec.DEFAULT_NAME)
        : outputs.values().iterator().next();
    return Prediction.topPerRow(floats(scores), classes(scores), labels(), n);
  }

  /** The service's labels in class-index order (empty when it has none), asked once and kept. */
  public List<String> labels() {
    List<String> known = labels;
    if (known == null) {
      TensorProto tensor = unpack(metadata("labels"), "labels", TensorProto.class);
      List<String> read = new ArrayList<>();
      tensor.getStringValList().forEach(v -> read.add(v.toStringUtf8()));
      known = List.copyOf(read);
      labels = known;
    }
    return known;
  }

  /** The execution provider the service runs on ({@code CPU}, {@code CUDA}, {@code TensorRT}). */
  public String accelerator() {
    return unpack(metadata("accelerator"), "accelerator", StringValue.class).getValue();
  }

  /** The ONNX Runtime intra-op threads the service chose for each model. */
  public int intraOpThreads() {
    return unpack(metadata("intra_op_threads"), "intra_op_threads", Int32Value.class).getValue();
  }

  /** The service's metadata for the given fields. */
  public GetModelMetadataResponse metadata(String... fields) {
    return stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
        .getModelMetadata(GetModelMetadataRequest.newBuilder()
            .setModelSpec(ModelSpec.newBuilder().setName("default"))
            .addAllMetadataField(List.of(fields))
            .build());
  }

  /** The values of a float tensor, from {@code tensor_content} or {@code float_val}. */
  public static float[] floats(TensorProto tensor) {
    if (tensor.getDtype() != DataType.DT_FLOAT) {
      throw new IllegalArgumentException("expected a DT_FLOAT output, got " + tensor.getDtype());
    }
    if (!tensor.getTensorContent().isEmpty()) {
      float[] values = new float[tensor.getTensorContent().size() / 4];
      tensor.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
      return values;
    }
    float[] values = new float[tensor.getFloatValCount()];
    for (int i = 0; i < values.length; i++) {
      values[i] = tensor.getFloatVal(i);
    }
    return values;
  }

  private static int classes(TensorProto tensor) {
    int dims = tensor.getTensorShape().getDimCount();
    return dims == 0 ? floats(tensor).length : (int) tensor.getTensorShape().getDim(dims - 1).getSize();
  }

  private static <T extends com.google.protobuf.Message> T unpack(
      GetModelMetadataResponse response, String field, Class<T> type) {
    try {
      return response.getMetadataOrThrow(field).unpack(type);
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      throw new IllegalStateException("the service answered no readable '" + field + "' metadata", e);
    }
  }

  /** The channel, for health checks and callers that build their own stubs. */
  public ManagedChannel channel() {
    return channel;
  }

  /**
   * Stops taking calls and lets those in flight finish, for up to 5 seconds. (grpc-java closes a
   * replica dropped by {@link #updateAddresses} 5 seconds after it was dropped, so a close soon
   * after an update takes up to that long.)
   */
  @Override
  public void close() {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** The replica that answered this thread's last call on this client (its {@code realtime-ai-replica} header), or null. */
  public String lastReplica() {
    return lastReplica.get();
  }

  private final ThreadLocal<String> lastReplica = new ThreadLocal<>();

  /** Notes the {@code realtime-ai-replica} header a runtime answers with, for {@link #lastReplica()}. */
  private final class ReplicaHeader implements io.grpc.ClientInterceptor {
    private final Metadata.Key<String> replica = Metadata.Key.of("realtime-ai-replica", Metadata.ASCII_STRING_MARSHALLER);

    @Override
    public <Q, R> io.grpc.ClientCall<Q, R> interceptCall(io.grpc.MethodDescriptor<Q, R> method,
        io.grpc.CallOptions options, io.grpc.Channel next) {
      return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override
        public void start(Listener<R> listener, Metadata headers) {
          lastReplica.remove();
          super.start(new io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
            @Override
            public void onHeaders(Metadata answered) {
              // Blocking stubs deliver on the calling thread, so the thread-local reaches the caller.
              lastReplica.set(answered.get(replica));
              super.onHeaders(answered);
            }
          }, headers);
        }
      };
    }
  }

  /** Sends the key as {@code authorization: Bearer <key>} on every call. */
  private static final class KeyCredentials extends CallCredentials {
    private static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private volatile String key;

    synchronized void switchKey(String from, String to) {
      if (key.equals(from)) {
        key = to;
      }
    }

    KeyCredentials(String key) {
      this.key = key;
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + key);
      applier.apply(headers);
    }
  }

  /** Builds a {@link PredictionClient}; validates once in {@link #build()}. */
  public static final class Builder {
    private final String address;
    private final List<String> replicas;
    private String key;
    private boolean tls;
    private Path trustCertificate;
    private String authority;
    private Duration deadline = Duration.ofSeconds(30);
    private int maxAttempts = 5;
    private Duration initialBackoff = Duration.ofMillis(100);
    private Duration maxBackoff = Duration.ofSeconds(2);
    private String inputName = "images";
    private int maxMessageBytes = 64 << 20;

    // Exactly one of the two: one address, or a list of replicas.
    private Builder(String address, List<String> replicas) {
      this.address = address;
      this.replicas = replicas;
    }

    /** The service key, sent as {@code authorization: Bearer <key>}. */
    public Builder key(String value) {
      this.key = value == null || value.isBlank() ? null : value;
      return this;
    }

    /** Use TLS, trusting the system's certificate authorities. */
    public Builder tls() {
      this.tls = true;
      return this;
    }

    /** Use TLS, trusting the given PEM certificate (a self-signed service certificate, or its CA). */
    public Builder trustCertificate(Path pem) {
      this.tls = true;
      this.trustCertificate = pem;
      return this;
    }

    /** The host name the TLS certificate is checked against, when it differs from the address's. */
    public Builder authority(String value) {
      this.authority = value;
      return this;
    }

    /** How long one call may take, retries included. */
    public Builder deadline(Duration value) {
      this.deadline = value;
      return this;
    }

    /** Attempts per call (1 = no retry; grpc-java allows at most 5). */
    public Builder maxAttempts(int value) {
      this.maxAttempts = value;
      return this;
    }

    /** The first and the largest pause between attempts. */
    public Builder backoff(Duration initial, Duration max) {
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    /** The input alias images are sent under (default {@code images}). */
    public Builder inputName(String value) {
      this.inputName = value;
      return this;
    }

    /** Builds the client. */
    public PredictionClient build() {
      if (replicas == null && (address == null || !address.contains(":"))) {
        throw new IllegalArgumentException("address must be host:port, got " + address);
      }
      if (maxAttempts < 1 || maxAttempts > 5) {
        throw new IllegalArgumentException("maxAttempts must be between 1 and 5, got " + maxAttempts);
      }
      if (deadline.isNegative() || deadline.isZero()) {
        throw new IllegalArgumentException("deadline must be positive");
      }
      return new PredictionClient(this, replicas == null ? null : new ReplicaResolverProvider(replicas));
    }

    private ManagedChannel channel(ReplicaResolverProvider resolver) {
      ChannelCredentials credentials;
      try {
        credentials = !tls ? InsecureChannelCredentials.create()
            : trustCertificate == null ? TlsChannelCredentials.create()
            : TlsChannelCredentials.newBuilder().trustManager(trustCertificate.toFile()).build();
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read the trusted certificate " + trustCertificate + ": " + e.getMessage(), e);
      }
      // The replica list resolves through its own registry, never the process-wide one.
      var builder = (resolver == null
          ? Grpc.newChannelBuilder(address, credentials)
          : Grpc.newChannelBuilder(resolver.target(), credentials, resolver.registry()))
          .maxInboundMessageSize(maxMessageBytes)
          .defaultServiceConfig(serviceConfig(resolver != null))
          .enableRetry()
          .maxRetryAttempts(5)
          // Images are larger than grpc's default 1 MiB retry buffer; a call must stay retryable.
          .perRpcBufferLimit(maxMessageBytes)
          .retryBufferSize(4L * maxMessageBytes);
      if (authority != null) {
        builder.overrideAuthority(authority);
      }
      return builder.build();
    }

    private Map<String, ?> serviceConfig(boolean balanced) {
      Map<String, Object> retry = Map.of(
          "maxAttempts", (double) maxAttempts,
          "initialBackoff", seconds(initialBackoff),
          "maxBackoff", seconds(maxBackoff),
          "backoffMultiplier", 2.0,
          "retryableStatusCodes", List.of("UNAVAILABLE"));
      // grpc-java refuses a retry policy of a single attempt: no retry means no policy.
      Map<String, Object> method = maxAttempts == 1
          ? Map.of("name", List.of(Map.of("service", SERVICE)))
          : Map.of("name", List.of(Map.of("service", SERVICE)), "retryPolicy", retry);
      if (!balanced) {
        return Map.of("methodConfig", List.of(method));
      }
      // round_robin over READY subchannels; with healthCheckConfig (grpc-services' health-checking
      // round_robin, on the classpath) a subchannel is READY only while its replica answers
      // SERVING for the server as a whole (service name ""), which the runtime reports once warm.
      return Map.of(
          "loadBalancingConfig", List.of(Map.of("round_robin", Map.of())),
          "healthCheckConfig", Map.of("serviceName", ""),
          "methodConfig", List.of(method));
    }

    private static String seconds(Duration duration) {
      return String.format(java.util.Locale.ROOT, "%.3fs", duration.toMillis() / 1000.0);
    }
  }
}
