package io.realtimeai.testing;

import io.realtimeai.storage.Azurite;
import io.realtimeai.storage.Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Azurite for a test class, on free ports, in memory, so that classes never see each
 * other's data: {@code @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();}
 * {@link #persistent()} keeps the data in a folder instead, so that the test can stop and start it.
 */
public final class AzuriteExtension implements BeforeAllCallback, AfterAllCallback {
  private final boolean persistent;
  private Path location;
  private Azurite azurite;
  private Storage storage;

  /** An in-memory Azurite. */
  public AzuriteExtension() {
    this(false);
  }

  private AzuriteExtension(boolean persistent) {
    this.persistent = persistent;
  }

  /** An Azurite whose data lives in a folder of its own, for tests that {@link #restart()} it. */
  public static AzuriteExtension persistent() {
    return new AzuriteExtension(true);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    location = persistent ? Files.createTempDirectory("azurite-") : null;
    azurite = Azurite.start(Path.of("").toAbsolutePath(), new int[] {0, 0, 0}, location);
    storage = Storage.connect(azurite.connectionString());
  }

  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    if (azurite != null) {
      azurite.close();
    }
    if (location != null) {
      try (var walk = Files.walk(location)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Clients of this Azurite. */
  public Storage storage() {
    return storage;
  }

  /** Its connection string. */
  public String connectionString() {
    return azurite.connectionString();
  }

  /** The process, for tests that stop it. */
  public Azurite azurite() {
    return azurite;
  }

  /**
   * Stops Azurite (SIGTERM) and starts it again on the same ports over the same folder: the
   * clients of {@link #storage()} and every connection string stay valid. Only when persistent.
   */
  public void restart() throws IOException {
    if (!persistent) {
      throw new IllegalStateException("an in-memory Azurite forgets everything when stopped: use AzuriteExtension.persistent()");
    }
    int[] ports = azurite.ports();
    azurite.close();
    azurite = Azurite.start(Path.of("").toAbsolutePath(), ports, location);
  }
}
