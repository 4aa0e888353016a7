package io.realtimeai.error;

import io.grpc.Status;
import java.util.List;

/** The service cannot answer now (not ready, every replica down); the call may be retried. */
public class UnavailableException extends RealtimeAiException {
  public UnavailableException(String message) {
    this("ServiceUnavailable", message, List.of(), null);
  }

  public UnavailableException(String message, Throwable cause) {
    this("ServiceUnavailable", message, List.of(), cause);
  }

  public UnavailableException(String code, String message, List<String> details, Throwable cause) {
    super(code, message, details, cause);
  }

  @Override
  public int httpStatus() {
    return 503;
  }

  @Override
  public Status.Code grpcCode() {
    return Status.Code.UNAVAILABLE;
  }
}
