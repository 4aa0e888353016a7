package io.realtimeai.scoring;

import io.realtimeai.client.Prediction;
import io.realtimeai.client.PredictionClient;
import io.realtimeai.pipeline.ElementType;
import io.realtimeai.pipeline.Tensor;
import io.realtimeai.proto.serving.PredictResponse;
import io.realtimeai.proto.tensorflow.DataType;
import io.realtimeai.proto.tensorflow.TensorProto;
import io.realtimeai.runtime.TensorProtos;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a Predict answer into what scoring returns: labelled top classes per image when the model
 * has labels and one {@code [images, classes]} output, else every named output tensor.
 */
public final class ScoreOutputs {
  private ScoreOutputs() {}

  /**
   * The answer to a batch.
   *
   * @param predictions per image, when the model is a labelled classifier
   * @param outputs the named outputs of the whole batch, otherwise
   */
  public record Answer(List<List<Prediction>> predictions, Map<String, ScoreResult.NamedOutput> outputs) {
    /** The answer for image {@code i} of the batch alone. */
    public Answer of(int i, int images) {
      if (predictions != null) {
        return new Answer(List.of(predictions.get(i)), null);
      }
      Map<String, ScoreResult.NamedOutput> one = new LinkedHashMap<>();
      outputs.forEach((name, output) -> {
        int per = output.values().size() / Math.max(1, images);
        List<Long> shape = new ArrayList<>(output.shape());
        if (!shape.isEmpty()) {
          shape.set(0, 1L);
        }
        one.put(name, new ScoreResult.NamedOutput(output.dtype(), shape, output.values().subList(i * per, (i + 1) * per)));
      });
      return new Answer(null, one);
    }
  }

  /** Reads {@code response} for a batch of {@code images}, labelling with {@code labels}, the top {@code top} classes. */
  public static Answer read(PredictResponse response, List<String> labels, int top, int images) {
    Map<String, TensorProto> outputs = response.getOutputsMap();
    if (!labels.isEmpty() && outputs.size() == 1) {
      TensorProto only = outputs.values().iterator().next();
      long[] shape = TensorProtos.shape(only.getTensorShape());
      if (only.getDtype() == DataType.DT_FLOAT && shape.length == 2 && shape[1] == labels.size()) {
        return new Answer(Prediction.topPerRow(PredictionClient.floats(only), labels.size(), labels, top), null);
      }
    }
    Map<String, ScoreResult.NamedOutput> named = new LinkedHashMap<>();
    outputs.forEach((name, tensor) -> named.put(name, named(tensor)));
    return new Answer(null, named);
  }

  private static ScoreResult.NamedOutput named(TensorProto tensor) {
    long[] shape = TensorProtos.shape(tensor.getTensorShape());
    List<Float> values = new ArrayList<>();
    ElementType type = ElementType.of(tensor.getDtype()).orElse(null);
    if (type != null && !tensor.getTensorContent().isEmpty()) {
      ByteBuffer data = tensor.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      for (float v : new Tensor(type, shape, data).toFloats()) {
        values.add(v);
      }
    } else {
      tensor.getFloatValList().forEach(values::add);
    }
    List<Long> dims = new ArrayList<>();
    for (long d : shape) {
      dims.add(d);
    }
    return new ScoreResult.NamedOutput(tensor.getDtype().name(), dims, values);
  }
}
