package io.realtimeai.error;

import io.grpc.Status;
import java.util.List;

/** The call carries no valid key. */
public class UnauthenticatedException extends RealtimeAiException {
  public UnauthenticatedException(String message) {
    this("Unauthenticated", message, List.of(), null);
  }

  public UnauthenticatedException(String message, Throwable cause) {
    this("Unauthenticated", message, List.of(), cause);
  }

  public UnauthenticatedException(String code, String message, List<String> details, Throwable cause) {
    super(code, message, details, cause);
  }

  @Override
  public int httpStatus() {
    return 401;
  }

  @Override
  public Status.Code grpcCode() {
    return Status.Code.UNAUTHENTICATED;
  }
}
