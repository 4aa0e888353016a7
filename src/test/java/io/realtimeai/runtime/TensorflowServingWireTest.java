package io.realtimeai.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.realtimeai.testing.ModelFolders;
import io.realtimeai.testing.TestImages;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wire compatibility with TensorFlow Serving: the request is encoded byte for byte as a stock
 * client encodes it, from field numbers alone (no generated classes), and the answer is decoded
 * the same way.
 */
@Tag("integration")
class TensorflowServingWireTest {
  @TempDir Path dir;

  @Test
  void predict_answersARequestEncodedByFieldNumbers() throws Exception {
    ScoringRuntime runtime = new ScoringRuntime(RuntimeSettings.loopback())
        .start(RuntimeHarness.loader(ModelFolders.tinyClassifier(dir)));
    ManagedChannel channel = RuntimeHarness.channel(runtime.port());
    try {
      byte[] jpeg = TestImages.jpeg();
      // TensorProto{dtype=7 (DT_STRING), tensor_shape=2{dim=2{size=1: 1}}, string_val=8: jpeg}
      byte[] tensor = concat(varintField(1, 7), bytesField(2, bytesField(2, varintField(1, 1))), bytesField(8, jpeg));
      // PredictRequest{model_spec=1{name=1, signature_name=3}, inputs=2 (map entry {key=1, value=2})}
      byte[] request = concat(
          bytesField(1, concat(bytesField(1, "default".getBytes(StandardCharsets.UTF_8)),
              bytesField(3, "serving_default".getBytes(StandardCharsets.UTF_8)))),
          bytesField(2, concat(bytesField(1, "images".getBytes(StandardCharsets.UTF_8)), bytesField(2, tensor))));

      byte[] response = ClientCalls.blockingUnaryCall(channel, PREDICT,
          CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), request);

      // PredictResponse{outputs=1 (map entry {key=1, value=2}), model_spec=2}
      Map<String, byte[]> outputs = new LinkedHashMap<>();
      for (Field entry : fields(response)) {
        if (entry.number() == 1) {
          List<Field> kv = fields(entry.bytes());
          outputs.put(new String(find(kv, 1).bytes(), StandardCharsets.UTF_8), find(kv, 2).bytes());
        }
      }
      assertThat(outputs).containsOnlyKeys("output_alias");
      List<Field> output = fields(outputs.get("output_alias"));
      assertThat(find(output, 1).value()).as("dtype DT_FLOAT").isEqualTo(1);
      List<Long> dims = new ArrayList<>();
      for (Field dim : fields(find(output, 2).bytes())) {
        dims.add(find(fields(dim.bytes()), 1).value());
      }
      assertThat(dims).containsExactly(1L, 10L);
      ByteBuffer content = ByteBuffer.wrap(find(output, 4).bytes()).order(ByteOrder.LITTLE_ENDIAN);
      assertThat(content.remaining()).isEqualTo(40);
      float sum = 0;
      while (content.hasRemaining()) {
        sum += content.getFloat();
      }
      assertThat(sum).as("softmax scores").isBetween(0.999f, 1.001f);
    } finally {
      channel.shutdownNow();
      runtime.stop();
    }
  }

  private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  private static final MethodDescriptor<byte[], byte[]> PREDICT = MethodDescriptor.<byte[], byte[]>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("tensorflow.serving.PredictionService/Predict")
      .setRequestMarshaller(RAW)
      .setResponseMarshaller(RAW)
      .build();

  private record Field(int number, long value, byte[] bytes) {}

  private static Field find(List<Field> fields, int number) {
    return fields.stream().filter(f -> f.number() == number).findFirst()
        .orElseThrow(() -> new AssertionError("no field " + number));
  }

  /** Decodes one message's fields: varints and length-delimited only, as these messages use. */
  private static List<Field> fields(byte[] message) {
    List<Field> fields = new ArrayList<>();
    ByteBuffer in = ByteBuffer.wrap(message);
    while (in.hasRemaining()) {
      long tag = varint(in);
      int number = (int) (tag >>> 3);
      int wireType = (int) (tag & 7);
      if (wireType == 0) {
        fields.add(new Field(number, varint(in), null));
      } else if (wireType == 2) {
        byte[] bytes = new byte[(int) varint(in)];
        in.get(bytes);
        fields.add(new Field(number, 0, bytes));
      } else {
        throw new AssertionError("unexpected wire type " + wireType + " for field " + number);
      }
    }
    return fields;
  }

  private static long varint(ByteBuffer in) {
    long value = 0;
    for (int shift = 0; ; shift += 7) {
      byte b = in.get();
      value |= (long) (b & 0x7f) << shift;
      if (b >= 0) {
        return value;
      }
    }
  }

  private static byte[] varintField(int number, long value) {
    return concat(varintBytes((long) number << 3), varintBytes(value));
  }

  private static byte[] bytesField(int number, byte[] value) {
    return concat(varintBytes(((long) number << 3) | 2), varintBytes(value.length), value);
  }

  private static byte[] varintBytes(long value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while ((value & ~0x7fL) != 0) {
      out.write((int) ((value & 0x7f) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}
