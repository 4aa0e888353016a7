package io.realtimeai.deployment;

import io.realtimeai.error.BadRequestException;
import io.realtimeai.pipeline.Accelerator;
import java.util.Locale;

/**
 * What a service asks to run on. {@code FPGA} is Brainwave's word and here means "the best
 * accelerator available" (TensorRT, else CUDA, else the CPU); {@code GPU} insists on CUDA;
 * {@code CPU} runs on the CPU. FPGA and GPU replicas count against the accelerator quota.
 */
public enum ComputeType {
  FPGA(Accelerator.AUTO),
  GPU(Accelerator.CUDA),
  CPU(Accelerator.CPU);

  private final Accelerator accelerator;

  ComputeType(Accelerator accelerator) {
    this.accelerator = accelerator;
  }

  /** The execution provider the runtime is asked for. */
  public Accelerator accelerator() {
    return accelerator;
  }

  /** True when its replicas count against the accelerator quota. */
  public boolean accelerated() {
    return this != CPU;
  }

  /** Parses {@code FPGA}, {@code GPU} or {@code CPU} (any case); absent means FPGA. */
  public static ComputeType parse(String value) {
    if (value == null || value.isBlank()) {
      return FPGA;
    }
    try {
      return valueOf(value.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new BadRequestException("computeType: '" + value + "' is not one of FPGA, GPU, CPU");
    }
  }
}
