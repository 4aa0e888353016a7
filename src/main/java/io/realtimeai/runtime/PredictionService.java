package io.realtimeai.runtime;

import com.google.protobuf.Any;
import com.google.protobuf.Int32Value;
import com.google.protobuf.StringValue;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.realtimeai.error.BadRequestException;
import io.realtimeai.error.RealtimeAiException;
import io.realtimeai.error.UnavailableException;
import io.realtimeai.pipeline.CallTimings;
import io.realtimeai.pipeline.Pipeline;
import io.realtimeai.pipeline.Tensor;
import io.realtimeai.pipeline.TensorNames;
import io.realtimeai.proto.serving.GetModelMetadataRequest;
import io.realtimeai.proto.serving.GetModelMetadataResponse;
import io.realtimeai.proto.serving.ModelSpec;
import io.realtimeai.proto.serving.PredictRequest;
import io.realtimeai.proto.serving.PredictResponse;
import io.realtimeai.proto.serving.PredictionServiceGrpc;
import io.realtimeai.proto.serving.SignatureDefMap;
import io.realtimeai.proto.tensorflow.DataType;
import io.realtimeai.proto.tensorflow.SignatureDef;
import io.realtimeai.proto.tensorflow.TensorInfo;
import io.realtimeai.proto.tensorflow.TensorProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * TensorFlow Serving's {@code PredictionService} over a {@link Pipeline}: Predict runs the pipeline
 * on the request's one input; GetModelMetadata describes its signature, labels, accelerator and the
 * engine's intra-op thread count.
 */
final class PredictionService extends PredictionServiceGrpc.PredictionServiceImplBase {
  /** The metadata fields this runtime answers. */
  static final List<String> METADATA_FIELDS = List.of("signature_def", "labels", "accelerator", "intra_op_threads");

  private static final Logger LOG = Logger.getLogger(PredictionService.class.getName());

  private final String modelName;
  private final Supplier<Pipeline> pipeline;

  PredictionService(String modelName, Supplier<Pipeline> pipeline) {
    this.modelName = modelName;
    this.pipeline = pipeline;
  }

  @Override
  public void predict(PredictRequest request, StreamObserver<PredictResponse> responses) {
    try {
      responses.onNext(predict(ready(), request));
      responses.onCompleted();
    } catch (RuntimeException e) {
      responses.onError(toStatus(e).asRuntimeException());
    }
  }

  @Override
  public void getModelMetadata(GetModelMetadataRequest request, StreamObserver<GetModelMetadataResponse> responses) {
    try {
      Pipeline loaded = ready();
      GetModelMetadataResponse.Builder response = GetModelMetadataResponse.newBuilder().setModelSpec(spec());
      List<String> fields = request.getMetadataFieldCount() == 0 ? List.of("signature_def") : request.getMetadataFieldList();
      for (String field : fields) {
        switch (field) {
          case "signature_def" -> response.putMetadata(field, Any.pack(signatures(loaded)));
          case "labels" -> response.putMetadata(field, Any.pack(TensorProtos.strings(loaded.labels())));
          case "accelerator" -> response.putMetadata(field, Any.pack(StringValue.of(loaded.accelerator())));
          case "intra_op_threads" -> response.putMetadata(field,
              Any.pack(Int32Value.of(loaded.engineThreads().intraOpThreads())));
          default -> throw new BadRequestException("metadata_field '" + field + "' is not supported (supported: "
              + String.join(", ", METADATA_FIELDS) + ")");
        }
      }
      responses.onNext(response.build());
      responses.onCompleted();
    } catch (RuntimeException e) {
      responses.onError(toStatus(e).asRuntimeException());
    }
  }

  private Pipeline ready() {
    Pipeline loaded = pipeline.get();
    if (loaded == null) {
      throw new UnavailableException("the model is still loading; retry shortly");
    }
    return loaded;
  }

  private PredictResponse predict(Pipeline loaded, PredictRequest request) {
    Map<String, TensorProto> inputs = request.getInputsMap();
    String expected = "'" + loaded.inputAlias() + "' (" + (loaded.takesImages()
        ? "DT_STRING, one encoded image per string_val"
        : TensorProtos.describe(loaded.inputType(), loaded.inputShape())) + ")";
    if (inputs.isEmpty()) {
      throw new BadRequestException("the request has no inputs; this model takes " + expected);
    }
    String alias = null;
    List<String> unknown = new ArrayList<>();
    for (String key : inputs.keySet()) {
      if (loaded.isInputAlias(key) && alias == null) {
        alias = key;
      } else {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      throw new BadRequestException("input '" + String.join("', '", unknown) + "' is not an input of this model; it takes "
          + expected);
    }
    TensorProto input = inputs.get(alias);
    // Noted for the metrics interceptor's histograms and server-timing trailer; a fresh one when called without it.
    CallTimings timings = RuntimeMetrics.TIMINGS.get() == null ? new CallTimings() : RuntimeMetrics.TIMINGS.get();
    Map<String, Tensor> outputs = loaded.takesImages()
        ? loaded.predictImages(TensorProtos.images(alias, input), timings)
        : loaded.predictTensor(TensorProtos.tensor(alias, input), timings);
    PredictResponse.Builder response = PredictResponse.newBuilder().setModelSpec(spec());
    List<String> filter = request.getOutputFilterList();
    for (String wanted : filter) {
      if (outputs.keySet().stream().noneMatch(name -> TensorNames.matches(wanted, name))) {
        throw new BadRequestException("output_filter '" + wanted + "' is not an output of this model (outputs: "
            + String.join(", ", outputs.keySet()) + ")");
      }
    }
    for (Map.Entry<String, Tensor> output : outputs.entrySet()) {
      if (filter.isEmpty() || filter.stream().anyMatch(w -> TensorNames.matches(w, output.getKey()))) {
        response.putOutputs(output.getKey(), TensorProtos.toProto(output.getValue()));
      }
    }
    return response.build();
  }

  private static SignatureDefMap signatures(Pipeline loaded) {
    SignatureDef.Builder signature = SignatureDef.newBuilder().setMethodName("tensorflow/serving/predict");
    DataType inputType = loaded.takesImages() ? DataType.DT_STRING : loaded.inputType().dataType();
    signature.putInputs(loaded.inputAlias(), TensorInfo.newBuilder()
        .setName(loaded.inputAlias())
        .setDtype(inputType)
        .setTensorShape(TensorProtos.shapeProto(loaded.inputShape()))
        .build());
    for (Pipeline.OutputInfo output : loaded.outputs().values()) {
      signature.putOutputs(output.alias(), TensorInfo.newBuilder()
          .setName(output.modelName())
          .setDtype(output.type().dataType())
          .setTensorShape(TensorProtos.shapeProto(output.shape()))
          .build());
    }
    return SignatureDefMap.newBuilder().putSignatureDef("serving_default", signature.build()).build();
  }

  private ModelSpec spec() {
    return ModelSpec.newBuilder().setName(modelName).setSignatureName("serving_default").build();
  }

  /**
   * Adds {@code header: replicaId} to the response headers of every call, or to its trailers when
   * the call ends before any header was sent (a call refused for its key).
   */
  static ServerInterceptor replicaHeader(String header, String replicaId) {
    Metadata.Key<String> key = Metadata.Key.of(header, Metadata.ASCII_STRING_MARSHALLER);
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          // A ServerCall is used by one thread at a time, so a plain flag is enough.
          private boolean headersSent;

          @Override
          public void sendHeaders(Metadata responseHeaders) {
            responseHeaders.put(key, replicaId);
            headersSent = true;
            super.sendHeaders(responseHeaders);
          }

          @Override
          public void close(Status status, Metadata trailers) {
            if (!headersSent) {
              trailers.put(key, replicaId);
            }
            super.close(status, trailers);
          }
        }, headers);
      }
    };
  }

  /** The gRPC status of a failure: the error vocabulary's own, or INTERNAL (logged) for anything unforeseen. */
  static Status toStatus(RuntimeException e) {
    if (e instanceof RealtimeAiException known) {
      return Status.fromCode(known.grpcCode()).withDescription(known.getMessage());
    }
    LOG.log(Level.WARNING, "Predict failed", e);
    return Status.INTERNAL.withDescription("internal error: " + e);
  }
}
