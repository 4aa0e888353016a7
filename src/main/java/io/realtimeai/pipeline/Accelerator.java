package io.realtimeai.pipeline;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import java.util.EnumSet;

/** Which ONNX Runtime execution provider runs the models: the best available, or one forced. */
public enum Accelerator {
  /** TensorRT, else CUDA, else CPU: whatever this ONNX Runtime build and this machine offer. */
  AUTO,
  CPU,
  CUDA,
  TENSORRT;

  /**
   * Adds this accelerator's execution provider to {@code options} and answers the one really used.
   * AUTO falls back to the CPU when a GPU provider is compiled in but cannot start (no device).
   */
  String configure(OrtSession.SessionOptions options) throws OrtException {
    EnumSet<OrtProvider> available = OrtEnvironment.getAvailableProviders();
    if (this == CPU) {
      return "CPU";
    }
    if ((this == TENSORRT || this == AUTO) && available.contains(OrtProvider.TENSOR_RT)) {
      try {
        options.addTensorrt(0);
        options.addCUDA(0);
        return "TensorRT";
      } catch (OrtException e) {
        if (this == TENSORRT) {
          throw e;
        }
      }
    }
    if ((this == CUDA || this == AUTO) && available.contains(OrtProvider.CUDA)) {
      try {
        options.addCUDA(0);
        return "CUDA";
      } catch (OrtException e) {
        if (this == CUDA) {
          throw e;
        }
      }
    }
    if (this != AUTO) {
      throw new IllegalStateException(name() + " was asked for but this ONNX Runtime build offers only "
          + available + " (the GPU build is the -Pgpu profile)");
    }
    return "CPU";
  }
}
