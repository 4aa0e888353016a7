package io.realtimeai.error;

import io.grpc.Status;
import java.util.List;

/** The request or one of its parts is larger than the limit. */
public class PayloadTooLargeException extends RealtimeAiException {
  public PayloadTooLargeException(String message) {
    this("PayloadTooLarge", message, List.of(), null);
  }

  public PayloadTooLargeException(String message, Throwable cause) {
    this("PayloadTooLarge", message, List.of(), cause);
  }

  public PayloadTooLargeException(String code, String message, List<String> details, Throwable cause) {
    super(code, message, details, cause);
  }

  @Override
  public int httpStatus() {
    return 413;
  }

  @Override
  public Status.Code grpcCode() {
    return Status.Code.RESOURCE_EXHAUSTED;
  }
}
