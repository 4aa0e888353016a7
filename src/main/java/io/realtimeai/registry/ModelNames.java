package io.realtimeai.registry;

import io.realtimeai.error.BadRequestException;
import java.util.regex.Pattern;

/** What a model name may be: it becomes a table partition, a blob folder and part of every id. */
public final class ModelNames {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

  private ModelNames() {}

  /** True when {@code name} can name a model. */
  public static boolean isValid(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** Why {@code name} cannot name a model, or null when it can. */
  public static String problem(String name) {
    if (isValid(name)) {
      return null;
    }
    return "model name '" + name + "' must start with a letter or digit and hold only letters, digits, '.', '-'"
        + " and '_' (at most 100)";
  }

  /** {@code name}, or a 400 saying what a name may be. */
  public static String require(String name) {
    String problem = problem(name);
    if (problem != null) {
      throw new BadRequestException(problem);
    }
    return name;
  }
}
