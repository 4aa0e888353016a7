package io.realtimeai.testing;

import io.realtimeai.storage.Azurite;
import io.realtimeai.storage.Storage;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Azurite for a test class, on free ports, in memory, so that classes never see each
 * other's data: {@code @RegisterExtension static AzuriteExtension azurite = new AzuriteExtension();}
 */
public final class AzuriteExtension implements BeforeAllCallback, AfterAllCallback {
  private Azurite azurite;
  private Storage storage;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    azurite = Azurite.start(Path.of("").toAbsolutePath(), new int[] {0, 0, 0}, null);
    storage = Storage.connect(azurite.connectionString());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (azurite != null) {
      azurite.close();
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
}
