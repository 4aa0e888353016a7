package io.realtimeai.app;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the project is: the jar runs from {@code <root>/target/}, tests from {@code <root>}. */
public final class ProjectPaths {
  private ProjectPaths() {}

  /** The project root: {@code -Drealtime-ai.home}, else two levels above the running jar or classes. */
  public static Path root() {
    String home = System.getProperty("realtime-ai.home");
    if (home != null && !home.isBlank()) {
      return Path.of(home).toAbsolutePath().normalize();
    }
    try {
      Path code = Path.of(ProjectPaths.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path candidate = code.getParent() == null ? null : code.getParent().getParent();
      if (candidate != null && Files.isRegularFile(candidate.resolve("pom.xml"))) {
        return candidate;
      }
    } catch (URISyntaxException | RuntimeException e) {
      // fall back to the working directory below
    }
    return Path.of("").toAbsolutePath();
  }

  /** The function app folder {@code mvn package} writes: {@code target/azure-functions/realtime-ai}. */
  public static Path functionApp() {
    return root().resolve("target/azure-functions/realtime-ai");
  }
}
