package io.realtimeai.app;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps the console readable: one line per record, and quiet libraries. The Azure SDK logs every
 * exception it throws at SEVERE (expected 404s, lost conditional-write races), while our code
 * reports real failures with their context, so the SDK's own logger is off.
 */
public final class Logging {
  // java.util.logging keeps loggers weakly: the configured ones must stay referenced.
  private static List<Logger> configured = List.of();

  private Logging() {}

  /** Sets the one-line format and the library levels; call before any logger is used. */
  public static synchronized void configure() {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tT %4$s %3$s: %5$s%6$s%n");
    }
    if (!configured.isEmpty() || System.getProperty("java.util.logging.config.file") != null) {
      return;
    }
    configured = List.of(level("com.azure", Level.OFF), level("reactor", Level.WARNING),
        level("io.netty", Level.WARNING), level("io.grpc", Level.WARNING));
  }

  private static Logger level(String name, Level level) {
    Logger logger = Logger.getLogger(name);
    logger.setLevel(level);
    return logger;
  }
}
