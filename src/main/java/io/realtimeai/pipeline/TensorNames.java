package io.realtimeai.pipeline;

/** Tensor names as TensorFlow writes them ({@code Input:0}) and as ONNX does ({@code Input}). */
public final class TensorNames {
  private TensorNames() {}

  /** True when two names are the same once TensorFlow's {@code :0} output-index suffix is set aside. */
  public static boolean matches(String a, String b) {
    return a != null && b != null && strip(a).equals(strip(b));
  }

  /** The name without a trailing {@code :0}. */
  public static String strip(String name) {
    return name.endsWith(":0") ? name.substring(0, name.length() - 2) : name;
  }
}
