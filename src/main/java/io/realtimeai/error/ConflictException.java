package io.realtimeai.error;

import io.grpc.Status;
import java.util.List;

/** The request conflicts with the current state (a name in use, a model still deployed, a quota reached). */
public class ConflictException extends RealtimeAiException {
  public ConflictException(String message) {
    this("Conflict", message, List.of(), null);
  }

  public ConflictException(String message, Throwable cause) {
    this("Conflict", message, List.of(), cause);
  }

  public ConflictException(String code, String message, List<String> details, Throwable cause) {
    super(code, message, details, cause);
  }

  @Override
  public int httpStatus() {
    return 409;
  }

  @Override
  public Status.Code grpcCode() {
    return Status.Code.FAILED_PRECONDITION;
  }
}
