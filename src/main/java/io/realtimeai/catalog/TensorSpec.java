package io.realtimeai.catalog;

import java.util.List;

/**
 * One input or output of a catalog model, as ONNX Runtime describes it.
 *
 * @param name the tensor name
 * @param type the element type ({@code float32}, {@code float16}, {@code uint8} …), or {@code map} /
 *     {@code sequence} for a value that is not a tensor
 * @param shape the dimensions, {@code -1} for a symbolic one such as the batch; empty when not a tensor
 */
public record TensorSpec(String name, String type, List<Long> shape) {
  public TensorSpec {
    shape = List.copyOf(shape);
  }
}
