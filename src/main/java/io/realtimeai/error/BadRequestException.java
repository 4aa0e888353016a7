package io.realtimeai.error;

import io.grpc.Status;
import java.util.List;

/** The request is malformed: a field, a parameter or an input is wrong. */
public class BadRequestException extends RealtimeAiException {
  public BadRequestException(String message) {
    this("BadRequest", message, List.of(), null);
  }

  public BadRequestException(String message, Throwable cause) {
    this("BadRequest", message, List.of(), cause);
  }

  public BadRequestException(String code, String message, List<String> details, Throwable cause) {
    super(code, message, details, cause);
  }

  @Override
  public int httpStatus() {
    return 400;
  }

  @Override
  public Status.Code grpcCode() {
    return Status.Code.INVALID_ARGUMENT;
  }
}
