package io.realtimeai.runtime;

import com.google.protobuf.ByteString;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.realtimeai.packaging.ModelPackage;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.pipeline.Pipeline;
import io.realtimeai.pipeline.PipelineOptions;
import io.realtimeai.proto.serving.PredictRequest;
import io.realtimeai.proto.serving.PredictionServiceGrpc;
import io.realtimeai.proto.tensorflow.DataType;
import io.realtimeai.proto.tensorflow.TensorProto;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** Starting runtimes and talking to them in tests: a real gRPC server on a loopback port. */
final class RuntimeHarness {
  private RuntimeHarness() {}

  /** A loader of the package folder at {@code folder}, one ONNX Runtime thread per model. */
  static Callable<Pipeline> loader(Path folder) {
    return () -> {
      ModelPackage modelPackage = ModelPackage.openDirectory(folder);
      return Pipeline.load(modelPackage.root(), modelPackage.definition(), AcceleratedCatalog.none(),
          PipelineOptions.serving().withIntraOpThreads(1));
    };
  }

  /** A plaintext channel to a local port. */
  static ManagedChannel channel(int port) {
    return Grpc.newChannelBuilderForAddress("localhost", port, InsecureChannelCredentials.create())
        .maxInboundMessageSize(64 << 20)
        .build();
  }

  /** A blocking stub sending {@code authorization} exactly as given (null: none). */
  static PredictionServiceGrpc.PredictionServiceBlockingStub stub(ManagedChannel channel, String authorization) {
    PredictionServiceGrpc.PredictionServiceBlockingStub stub = PredictionServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS);
    if (authorization == null) {
      return stub;
    }
    Metadata headers = new Metadata();
    headers.put(KeyAuthInterceptor.AUTHORIZATION, authorization);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /** A Predict request of encoded images under {@code alias}. */
  static PredictRequest images(String alias, List<byte[]> images) {
    TensorProto.Builder tensor = TensorProto.newBuilder().setDtype(DataType.DT_STRING)
        .setTensorShape(TensorProtos.shapeProto(new long[] {images.size()}));
    images.forEach(i -> tensor.addStringVal(ByteString.copyFrom(i)));
    return PredictRequest.newBuilder().putInputs(alias, tensor.build()).build();
  }

  /** A Predict request of one encoded image under {@code images}. */
  static PredictRequest image(byte[] image) {
    return images("images", List.of(image));
  }
}
