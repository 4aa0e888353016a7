package io.realtimeai.deployment;

import io.realtimeai.error.UnavailableException;
import java.util.List;

/**
 * The replica provider cannot be asked now (the Kubernetes API server is unreachable, refuses the
 * app, or pods are still terminating): the orchestrator keeps the operation at its step and asks
 * again later, until the operation's deadline.
 */
public class ProviderUnavailableException extends UnavailableException {
  public ProviderUnavailableException(String message, Throwable cause) {
    super("ReplicaProviderUnavailable", message, List.of(), cause);
  }
}
