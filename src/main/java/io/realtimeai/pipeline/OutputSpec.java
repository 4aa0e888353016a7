package io.realtimeai.pipeline;

/**
 * How the pipeline's final output is named and shaped.
 *
 * @param name the Predict output alias the final tensor is returned under
 * @param softmax apply a softmax over the last dimension of the final output
 * @param topK how many labelled predictions scoring clients show by default
 */
public record OutputSpec(String name, Boolean softmax, Integer topK) {
  /** The output alias TensorFlow Serving clients of Brainwave read. */
  public static final String DEFAULT_NAME = "output_alias";

  public OutputSpec {
    name = name == null || name.isBlank() ? DEFAULT_NAME : name;
    softmax = softmax != null && softmax;
    topK = topK == null ? 5 : topK;
    if (topK < 1) {
      throw new IllegalArgumentException("top_k: must be at least 1, got " + topK);
    }
  }

  /** The defaults: {@code output_alias}, no softmax, top 5. */
  public static OutputSpec defaults() {
    return new OutputSpec(null, null, null);
  }
}
