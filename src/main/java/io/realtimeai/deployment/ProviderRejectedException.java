package io.realtimeai.deployment;

import io.realtimeai.error.UnprocessableException;
import java.util.List;

/**
 * The replica provider refused what it was asked for, and asking again will not change that (a
 * Kubernetes API server answering 400 or 422 to an object, e.g. a CPU request that is not a
 * quantity): the operation fails at once with the provider's words instead of waiting for its deadline.
 */
public class ProviderRejectedException extends UnprocessableException {
  public ProviderRejectedException(String message, Throwable cause) {
    this("ReplicaProviderRejected", message, cause);
  }

  /** A refusal with a code of its own (e.g. {@code DiskFull}), which the failed operation carries. */
  public ProviderRejectedException(String code, String message, Throwable cause) {
    super(code, message, List.of(), cause);
  }
}
