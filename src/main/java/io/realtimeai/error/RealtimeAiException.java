package io.realtimeai.error;

import io.grpc.Status;
import java.util.List;

/**
 * The one error vocabulary of the project: a failure a user can act on, with a machine-readable
 * code, a message that names the problem, optional details, and the HTTP and gRPC status it maps to.
 */
public abstract class RealtimeAiException extends RuntimeException {
  private final String code;
  private final List<String> details;

  protected RealtimeAiException(String code, String message, List<String> details, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.details = List.copyOf(details);
  }

  /** The error code, as in {@code {"error": {"code": …}}}. */
  public String code() {
    return code;
  }

  /** Further reasons, each one complete on its own (for example every problem of a package). */
  public List<String> details() {
    return details;
  }

  /** The HTTP status this error answers with. */
  public abstract int httpStatus();

  /** The gRPC status code this error answers with. */
  public abstract Status.Code grpcCode();
}
