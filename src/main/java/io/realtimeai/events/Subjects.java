package io.realtimeai.events;

/** The event subjects of DESIGN §6, so that every producer spells them the same way. */
public final class Subjects {
  private Subjects() {}

  /** {@code /models/{name}/versions/{version}}. */
  public static String model(String name, String version) {
    return "/models/" + segment("model name", name) + "/versions/" + segment("model version", version);
  }

  /** {@code /services/{name}}. */
  public static String service(String name) {
    return "/services/" + segment("service name", name);
  }

  /** {@code /services/{name}/images/{path}}; the image path keeps its own slashes. */
  public static String image(String service, String imagePath) {
    String path = imagePath == null ? "" : imagePath.strip();
    while (path.startsWith("/")) {
      path = path.substring(1);
    }
    if (path.isEmpty()) {
      throw new IllegalArgumentException("an image subject needs an image path, got '" + imagePath + "'");
    }
    return service(service) + "/images/" + path;
  }

  // Names are single path segments: a slash inside one would make the subject ambiguous to subscribers'
  // prefix filters (subjectBeginsWith).
  private static String segment(String what, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " must not be empty");
    }
    if (value.contains("/")) {
      throw new IllegalArgumentException(what + " must not contain '/', got '" + value + "'");
    }
    return value.strip();
  }
}
