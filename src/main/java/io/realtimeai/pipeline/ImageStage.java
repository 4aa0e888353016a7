package io.realtimeai.pipeline;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The built-in image stage: decode an encoded image, resize, crop, reorder colors, normalize per
 * channel as {@code (pixel * scale - mean) / std}, and lay the result out for the next stage.
 *
 * @param size the output {@code [height, width]}
 * @param resize {@code stretch} to {@code size}, or {@code shorter_side} then a centre crop
 * @param shorterSide the length the shorter side is resized to before the crop (default: the
 *     larger of {@code size})
 * @param colorOrder channel order of the output
 * @param mean per channel, in the output color order
 * @param std per channel, in the output color order
 * @param scale applied to each 0–255 pixel value before {@code mean} and {@code std}
 * @param layout {@code NCHW} or {@code NHWC}
 * @param inputName the Predict input alias that carries the encoded images
 */
public record ImageStage(
    List<Integer> size,
    Resize resize,
    Integer shorterSide,
    ColorOrder colorOrder,
    List<Double> mean,
    List<Double> std,
    Double scale,
    Layout layout,
    String inputName)
    implements Stage {

  /** The Predict input alias images arrive under unless the definition names another. */
  public static final String DEFAULT_INPUT_NAME = "images";

  /** How the decoded image is brought to {@code size}. */
  public enum Resize {
    @JsonProperty("stretch")
    STRETCH,
    @JsonProperty("shorter_side")
    SHORTER_SIDE
  }

  /** Channel order. */
  public enum ColorOrder {
    RGB,
    BGR
  }

  /** Tensor layout of a batch of images. */
  public enum Layout {
    NCHW,
    NHWC
  }

  public ImageStage {
    if (size == null || size.size() != 2 || size.stream().anyMatch(v -> v == null || v <= 0)) {
      throw new IllegalArgumentException("size: must be [height, width], two positive integers, got " + size);
    }
    resize = resize == null ? Resize.SHORTER_SIDE : resize;
    if (shorterSide == null) {
      shorterSide = Math.max(size.get(0), size.get(1));
    }
    if (resize == Resize.SHORTER_SIDE && shorterSide < Math.max(size.get(0), size.get(1))) {
      throw new IllegalArgumentException(
          "shorter_side: must be at least the larger of size " + size + " for the centre crop, got " + shorterSide);
    }
    colorOrder = colorOrder == null ? ColorOrder.RGB : colorOrder;
    mean = mean == null ? List.of(0.0, 0.0, 0.0) : List.copyOf(mean);
    std = std == null ? List.of(1.0, 1.0, 1.0) : List.copyOf(std);
    if (mean.size() != 3) {
      throw new IllegalArgumentException("mean: must hold 3 values (one per channel), got " + mean.size());
    }
    if (std.size() != 3 || std.stream().anyMatch(v -> v == 0.0)) {
      throw new IllegalArgumentException("std: must hold 3 non-zero values (one per channel), got " + std);
    }
    scale = scale == null ? 1.0 : scale;
    layout = layout == null ? Layout.NCHW : layout;
    inputName = inputName == null || inputName.isBlank() ? DEFAULT_INPUT_NAME : inputName;
  }

  /** Output height in pixels. */
  public int height() {
    return size.get(0);
  }

  /** Output width in pixels. */
  public int width() {
    return size.get(1);
  }

  /** The shape of one preprocessed image, without the batch dimension. */
  public long[] itemShape() {
    return layout == Layout.NCHW
        ? new long[] {3, height(), width()}
        : new long[] {height(), width(), 3};
  }

  @Override
  public String typeName() {
    return "image";
  }
}
