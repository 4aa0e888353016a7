package io.realtimeai.error;

import io.grpc.Status;
import java.util.List;

/** The input is well-formed but the model cannot take it (an image that does not decode, a wrong shape). */
public class UnprocessableException extends RealtimeAiException {
  public UnprocessableException(String message) {
    this("UnprocessableEntity", message, List.of(), null);
  }

  public UnprocessableException(String message, Throwable cause) {
    this("UnprocessableEntity", message, List.of(), cause);
  }

  public UnprocessableException(String code, String message, List<String> details, Throwable cause) {
    super(code, message, details, cause);
  }

  @Override
  public int httpStatus() {
    return 422;
  }

  @Override
  public Status.Code grpcCode() {
    return Status.Code.INVALID_ARGUMENT;
  }
}
