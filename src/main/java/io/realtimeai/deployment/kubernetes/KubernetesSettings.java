package io.realtimeai.deployment.kubernetes;

import io.realtimeai.app.AppSettings;
import java.util.Locale;

/**
 * How services become Kubernetes objects, from the app settings ({@code KUBERNETES_*}).
 *
 * @param namespace where every service's objects live
 * @param image the runtime image the pods run
 * @param cpuRequest the CPU each pod requests ({@code 1}, {@code 500m})
 * @param memoryRequest the memory each pod requests ({@code 2Gi})
 * @param gpuNodeSelector {@code key=value} a GPU or FPGA pod must be scheduled on, or null
 * @param gpuToleration {@code key=value:Effect} a GPU or FPGA pod tolerates, or null
 * @param runtimeClientId the managed identity pods read packages with ({@code AZURE_CLIENT_ID}), or null
 */
public record KubernetesSettings(String namespace, String image, String cpuRequest, String memoryRequest,
    String gpuNodeSelector, String gpuToleration, String runtimeClientId) {
  /** The default image name: the one {@code mvn verify} builds (and {@code mvn jib:build} pushes, under a registry). */
  public static final String DEFAULT_IMAGE = "realtime-ai-runtime:latest";

  public KubernetesSettings {
    requireText("KUBERNETES_NAMESPACE", namespace);
    requireText("KUBERNETES_RUNTIME_IMAGE", image);
    requireText("KUBERNETES_CPU_REQUEST", cpuRequest);
    requireText("KUBERNETES_MEMORY_REQUEST", memoryRequest);
    if (gpuNodeSelector != null && !gpuNodeSelector.matches("[^=\\s]+=[^=\\s]*")) {
      throw new IllegalStateException("setting KUBERNETES_GPU_NODE_SELECTOR must be key=value, got '" + gpuNodeSelector + "'");
    }
    if (gpuToleration != null && !gpuToleration.matches("[^=:\\s]+(=[^=:\\s]*)?:(NoSchedule|PreferNoSchedule|NoExecute)")) {
      throw new IllegalStateException("setting KUBERNETES_GPU_TOLERATION must be key=value:Effect (Effect NoSchedule,"
          + " PreferNoSchedule or NoExecute), got '" + gpuToleration + "'");
    }
  }

  /** The settings as the app has them. */
  public static KubernetesSettings fromAppSettings() {
    return new KubernetesSettings(
        AppSettings.get("KUBERNETES_NAMESPACE", "realtime-ai"),
        AppSettings.get("KUBERNETES_RUNTIME_IMAGE", DEFAULT_IMAGE),
        AppSettings.get("KUBERNETES_CPU_REQUEST", "1"),
        AppSettings.get("KUBERNETES_MEMORY_REQUEST", "2Gi"),
        AppSettings.get("KUBERNETES_GPU_NODE_SELECTOR").orElse(null),
        AppSettings.get("KUBERNETES_GPU_TOLERATION").orElse(null),
        AppSettings.get("KUBERNETES_RUNTIME_CLIENT_ID").orElse(null));
  }

  /** Settings for {@code namespace} with the defaults (tests). */
  public static KubernetesSettings defaults(String namespace) {
    return new KubernetesSettings(namespace, DEFAULT_IMAGE, "1", "2Gi", null, null, null);
  }

  /** These settings with GPU pods placed by {@code nodeSelector} and {@code toleration}. */
  public KubernetesSettings withGpuPlacement(String nodeSelector, String toleration) {
    return new KubernetesSettings(namespace, image, cpuRequest, memoryRequest, nodeSelector, toleration, runtimeClientId);
  }

  private static void requireText(String name, String value) {
    if (value == null || value.isBlank() || !value.strip().equals(value)) {
      throw new IllegalStateException("setting " + name + " must not be empty or padded, got '" + value + "'");
    }
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "namespace %s, image %s, requests cpu %s memory %s", namespace, image, cpuRequest,
        memoryRequest);
  }
}
