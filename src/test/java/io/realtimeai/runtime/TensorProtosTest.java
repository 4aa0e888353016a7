package io.realtimeai.runtime;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.realtimeai.error.BadRequestException;
import io.realtimeai.proto.tensorflow.DataType;
import io.realtimeai.proto.tensorflow.TensorProto;
import org.junit.jupiter.api.Test;

/** Converting wire tensors: a shape no tensor can have is the caller's error, named, never an exception of ours. */
class TensorProtosTest {
  private static TensorProto tensor(DataType dtype, long... shape) {
    return TensorProto.newBuilder().setDtype(dtype).setTensorShape(TensorProtos.shapeProto(shape)).build();
  }

  // Found by TensorProtosFuzzTest: the element count overflowed a long and threw ArithmeticException.
  @Test
  void tensor_refusesAShapeWhoseElementCountOverflows() {
    assertThatThrownBy(() -> TensorProtos.tensor("x", tensor(DataType.DT_FLOAT, 1L << 40, 1L << 40)))
        .isInstanceOf(BadRequestException.class)
        .hasMessage("input 'x': shape [1099511627776, 1099511627776] is too large");
  }

  @Test
  void images_refusesAShapeWhoseElementCountOverflows() {
    assertThatThrownBy(() -> TensorProtos.images("images", tensor(DataType.DT_STRING, 1L << 40, 1L << 40)))
        .isInstanceOf(BadRequestException.class)
        .hasMessage("input 'images': shape [1099511627776, 1099511627776] is too large");
  }

  @Test
  void tensor_refusesAShapeJustAboveWhatABufferHolds() {
    assertThatThrownBy(() -> TensorProtos.tensor("x", tensor(DataType.DT_FLOAT, 1L << 29)))
        .isInstanceOf(BadRequestException.class)
        .hasMessage("input 'x': shape [536870912] is too large");
  }
}
