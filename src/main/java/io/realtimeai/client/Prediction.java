package io.realtimeai.client;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * One labelled class of a model's answer.
 *
 * @param index the class index
 * @param label its label, or the index as text without a labels file
 * @param confidence the model's score for it
 */
public record Prediction(int index, String label, float confidence) {
  /** The {@code n} highest scores of one row, best first, labelled from {@code labels} where it has the index. */
  public static List<Prediction> top(float[] scores, int offset, int width, List<String> labels, int n) {
    return IntStream.range(0, width)
        .boxed()
        .sorted(Comparator.comparingDouble((Integer i) -> -scores[offset + i]).thenComparingInt(i -> i))
        .limit(Math.max(0, n))
        .map(i -> new Prediction(i, i < labels.size() ? labels.get(i) : Integer.toString(i), scores[offset + i]))
        .toList();
  }

  /** The top {@code n} of each row of a {@code [batch, classes]} score matrix. */
  public static List<List<Prediction>> topPerRow(float[] scores, int classes, List<String> labels, int n) {
    List<List<Prediction>> rows = new ArrayList<>();
    for (int offset = 0; classes > 0 && offset + classes <= scores.length; offset += classes) {
      rows.add(top(scores, offset, classes, labels, n));
    }
    return rows;
  }
}
