package io.realtimeai.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import io.realtimeai.error.BadRequestException;
import io.realtimeai.pipeline.Tensor;
import io.realtimeai.proto.tensorflow.DataType;
import io.realtimeai.proto.tensorflow.TensorProto;
import io.realtimeai.proto.serving.PredictRequest;
import java.util.Map;

/**
 * Fuzz target: a {@code PredictRequest} on the wire, each input converted as the runtime does (encoded
 * images for {@code DT_STRING}, a numeric tensor otherwise). A bad input must be a
 * {@link BadRequestException} (gRPC {@code INVALID_ARGUMENT}) naming the input; anything else
 * thrown is a finding.
 */
class TensorProtosFuzzTest {
  @FuzzTest(maxDuration = "10m")
  void convert(byte[] wire) {
    PredictRequest request;
    try {
      request = PredictRequest.parseFrom(wire);
    } catch (InvalidProtocolBufferException e) {
      return; // grpc-java refuses these before the service sees them
    }
    for (Map.Entry<String, TensorProto> input : request.getInputsMap().entrySet()) {
      try {
        if (input.getValue().getDtype() == DataType.DT_STRING) {
          assertThat(TensorProtos.images(input.getKey(), input.getValue())).hasSize(input.getValue().getStringValCount());
        } else {
          Tensor tensor = TensorProtos.tensor(input.getKey(), input.getValue());
          assertThat(tensor.data().remaining()).isEqualTo(tensor.elementCount() * tensor.type().bytes());
        }
      } catch (BadRequestException e) {
        assertThat(e.getMessage()).startsWith("input '" + input.getKey() + "'");
      }
    }
  }
}
