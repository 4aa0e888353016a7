package io.realtimeai.error;

import java.util.List;

/**
 * A model package or service definition that cannot be served; {@link #details()} holds every
 * problem found, each naming its field or file ({@code pipeline[1].model_path: …}).
 */
public class InvalidPackageException extends BadRequestException {
  public InvalidPackageException(List<String> problems) {
    this(problems, null);
  }

  public InvalidPackageException(List<String> problems, Throwable cause) {
    super("InvalidPackage", summary(problems), problems, cause);
  }

  public InvalidPackageException(String problem) {
    this(List.of(problem));
  }

  private static String summary(List<String> problems) {
    if (problems.size() == 1) {
      return "invalid model package: " + problems.get(0);
    }
    return "invalid model package (" + problems.size() + " problems): " + String.join("; ", problems);
  }
}
