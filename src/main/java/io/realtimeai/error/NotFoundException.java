package io.realtimeai.error;

import io.grpc.Status;
import java.util.List;

/** The named model, service, operation or result does not exist. */
public class NotFoundException extends RealtimeAiException {
  public NotFoundException(String message) {
    this("NotFound", message, List.of(), null);
  }

  public NotFoundException(String message, Throwable cause) {
    this("NotFound", message, List.of(), cause);
  }

  public NotFoundException(String code, String message, List<String> details, Throwable cause) {
    super(code, message, details, cause);
  }

  @Override
  public int httpStatus() {
    return 404;
  }

  @Override
  public Status.Code grpcCode() {
    return Status.Code.NOT_FOUND;
  }
}
