package io.realtimeai.error;

import io.grpc.Status;
import java.util.List;

/** The body's media type is not one this endpoint takes. */
public class UnsupportedMediaTypeException extends RealtimeAiException {
  public UnsupportedMediaTypeException(String message) {
    this("UnsupportedMediaType", message, List.of(), null);
  }

  public UnsupportedMediaTypeException(String message, Throwable cause) {
    this("UnsupportedMediaType", message, List.of(), cause);
  }

  public UnsupportedMediaTypeException(String code, String message, List<String> details, Throwable cause) {
    super(code, message, details, cause);
  }

  @Override
  public int httpStatus() {
    return 415;
  }

  @Override
  public Status.Code grpcCode() {
    return Status.Code.INVALID_ARGUMENT;
  }
}
