package io.realtimeai.app;

import ai.onnxruntime.OrtEnvironment;
import com.azure.core.util.Context;
import io.realtimeai.storage.Storage;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** What {@code GET /api/health} answers: whether storage answers, and the versions in use. */
public final class Health {
  private static final Duration STORAGE_TIMEOUT = Duration.ofSeconds(3);

  private final Storage storage;

  Health(Storage storage) {
    this.storage = storage;
  }

  /**
   * The report.
   *
   * @param healthy true when storage answered
   * @param storage endpoint and reachability (with the error when unreachable)
   * @param versions the app, Java and ONNX Runtime versions
   * @param time when the check ran
   */
  public record Report(boolean healthy, Map<String, Object> storage, Map<String, String> versions, Instant time) {
    /** {@code Healthy} or {@code Unhealthy}. */
    public String status() {
      return healthy ? "Healthy" : "Unhealthy";
    }
  }

  /** Checks storage (bounded by a few seconds) and lists versions. */
  public Report check() {
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("blobEndpoint", storage.blobEndpoint());
    boolean reachable;
    try {
      storage.blobs().getPropertiesWithResponse(STORAGE_TIMEOUT, Context.NONE);
      reachable = true;
    } catch (RuntimeException e) {
      reachable = false;
      state.put("error", e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse(""));
    }
    state.put("reachable", reachable);
    return new Report(reachable, state, versions(), Instant.now());
  }

  /** The app, Java and ONNX Runtime versions. */
  public static Map<String, String> versions() {
    Map<String, String> versions = new LinkedHashMap<>();
    String app = Health.class.getPackage().getImplementationVersion();
    versions.put("realtimeAi", app == null ? "development build" : app);
    versions.put("java", System.getProperty("java.version"));
    versions.put("onnxRuntime", onnxRuntimeVersion());
    return versions;
  }

  private static String onnxRuntimeVersion() {
    try {
      return OrtEnvironment.getEnvironment().getVersion();
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      return "unavailable: " + e.getMessage();
    }
  }
}
