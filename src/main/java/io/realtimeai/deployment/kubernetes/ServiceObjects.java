package io.realtimeai.deployment.kubernetes;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.realtimeai.runtime.RuntimeSettings;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Kubernetes objects of one service: a Deployment of runtime pods, the Secret they read their
 * keys (and TLS material, and a storage connection where the app has one with a key) from, and the
 * Service in front of them. All carry the service's labels, and the Secret and the Service are owned
 * by the Deployment, so that deleting it removes everything.
 */
final class ServiceObjects {
  static final String SERVICE_LABEL = "realtime-ai.io/service";
  static final String TEMPLATE_LABEL = "realtime-ai.io/template";
  static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  static final int PORT = RuntimeSettings.DEFAULT_PORT;
  /** The runtime's plaintext health port, which the kubelet probes (TLS or not). */
  static final int HEALTH_PORT = 8501;
  /** The runtime's Prometheus endpoint ({@code GET /metrics}), announced to scrapers by the pods' annotations. */
  static final int METRICS_PORT = 9090;
  static final String GPU = "nvidia.com/gpu";
  static final String SECRET_MOUNT = "/etc/realtime-ai/secret";
  /** Keys of the Secret. */
  static final String KEYS = "keys";
  static final String TLS_CERT = "tls.crt";
  static final String TLS_KEY = "tls.key";
  static final String STORAGE = "storage";
  /** Environment variable the runtime reads a storage connection string from (packages without a SAS). */
  static final String STORAGE_ENV = "REALTIME_AI_STORAGE";

  private final KubernetesSettings settings;
  private final PackageLocations locations;

  ServiceObjects(KubernetesSettings settings, PackageLocations locations) {
    this.settings = settings;
    this.locations = locations;
  }

  static String deploymentName(String serviceId) {
    return serviceId;
  }

  static String serviceName(String serviceId) {
    return serviceId;
  }

  static String secretName(String serviceId) {
    return serviceId + "-secret";
  }

  static Map<String, String> labels(String serviceId) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("app.kubernetes.io/name", "realtime-ai-runtime");
    labels.put(MANAGED_BY, "realtime-ai");
    labels.put(SERVICE_LABEL, serviceId);
    return labels;
  }

  /** A new Deployment for the ledger (which holds at least one replica). */
  Deployment deployment(String serviceId, ReplicaLedger ledger) {
    Deployment deployment = new DeploymentBuilder()
        .withNewMetadata().withName(deploymentName(serviceId)).withLabels(labels(serviceId)).endMetadata()
        .withNewSpec()
          .withNewSelector().addToMatchLabels(SERVICE_LABEL, serviceId).endSelector()
          // Old pods serve until new ones are ready: an update never drops capacity (it needs room for one more pod).
          .withNewStrategy().withType("RollingUpdate").withNewRollingUpdate()
            .withNewMaxSurge(1).withNewMaxUnavailable(0).endRollingUpdate().endStrategy()
        .endSpec()
        .build();
    return apply(deployment, serviceId, ledger);
  }

  /** {@code deployment} made to run the ledger: its annotation, replica count and pod template. */
  Deployment apply(Deployment deployment, String serviceId, ReplicaLedger ledger) {
    ReplicaTemplate template = ledger.current().orElseThrow();
    deployment.getMetadata().setAnnotations(new LinkedHashMap<>(deployment.getMetadata().getAnnotations() == null
        ? Map.of() : deployment.getMetadata().getAnnotations()));
    deployment.getMetadata().getAnnotations().put(ReplicaLedger.ANNOTATION, ledger.json());
    deployment.getSpec().setReplicas(ledger.pods());
    deployment.getSpec().setTemplate(podTemplate(serviceId, template));
    return deployment;
  }

  private PodTemplateSpec podTemplate(String serviceId, ReplicaTemplate template) {
    Map<String, String> labels = labels(serviceId);
    labels.put(TEMPLATE_LABEL, template.hash());
    Map<String, Quantity> requests = new LinkedHashMap<>();
    requests.put("cpu", new Quantity(settings.cpuRequest()));
    requests.put("memory", new Quantity(settings.memoryRequest()));
    Map<String, Quantity> limits = new LinkedHashMap<>();
    Map<String, String> nodeSelector = new LinkedHashMap<>();
    List<Toleration> tolerations = new ArrayList<>();
    if (template.accelerated()) {
      limits.put(GPU, new Quantity("1"));
      if (settings.gpuNodeSelector() != null) {
        String[] pair = settings.gpuNodeSelector().split("=", 2);
        nodeSelector.put(pair[0], pair[1]);
      }
      tolerations.add(new TolerationBuilder().withKey(GPU).withOperator("Exists").withEffect("NoSchedule").build());
      if (settings.gpuToleration() != null) {
        tolerations.add(toleration(settings.gpuToleration()));
      }
    }
    Container container = new ContainerBuilder()
        .withName("runtime")
        .withImage(settings.image())
        .withArgs(arguments(template))
        // The runtime's last lines of output become the pod's termination message: a crash says why.
        .withTerminationMessagePolicy("FallbackToLogsOnError")
        .addNewPort().withName("grpc").withContainerPort(PORT).withProtocol("TCP").endPort()
        .addNewPort().withName("health").withContainerPort(HEALTH_PORT).withProtocol("TCP").endPort()
        .addNewPort().withName("metrics").withContainerPort(METRICS_PORT).withProtocol("TCP").endPort()
        .withEnv(environment(serviceId))
        .withNewResources().withRequests(requests).withLimits(limits).endResources()
        .addNewVolumeMount().withName("secret").withMountPath(SECRET_MOUNT).withReadOnly(true).endVolumeMount()
        .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
        // A package is downloaded, checked and warmed before the runtime says SERVING: allow ten minutes.
        .withStartupProbe(probe(5, 120))
        .withReadinessProbe(probe(5, 2))
        .withLivenessProbe(probe(10, 3))
        .withNewSecurityContext().withRunAsNonRoot(true).withAllowPrivilegeEscalation(false)
          .withReadOnlyRootFilesystem(true).withNewCapabilities().addToDrop("ALL").endCapabilities()
        .endSecurityContext()
        .build();
    return new PodTemplateSpecBuilder()
        // The annotations Prometheus' Kubernetes pod discovery is commonly configured to follow.
        .withNewMetadata().withLabels(labels)
          .addToAnnotations("prometheus.io/scrape", "true")
          .addToAnnotations("prometheus.io/port", Integer.toString(METRICS_PORT))
          .addToAnnotations("prometheus.io/path", "/metrics")
        .endMetadata()
        .withNewSpec()
          .withContainers(container)
          .withNodeSelector(nodeSelector.isEmpty() ? null : nodeSelector)
          .withTolerations(tolerations.isEmpty() ? null : tolerations)
          .withTerminationGracePeriodSeconds(30L)
          .addNewVolume().withName("secret").withNewSecret().withSecretName(secretName(serviceId)).endSecret().endVolume()
          .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume()
        .endSpec()
        .build();
  }

  /** The runtime's arguments after the image's entrypoint ({@code realtime-ai runtime}). */
  List<String> arguments(ReplicaTemplate template) {
    List<String> args = new ArrayList<>(List.of(
        "--package", locations.packageUrl(template.packageBlob()),
        "--package-sha256", template.packageSha256()));
    if (!template.acceleratedModels().isEmpty()) {
      args.addAll(List.of("--catalog", locations.catalogUrl()));
    }
    args.addAll(List.of(
        "--port", Integer.toString(PORT),
        "--health-port", Integer.toString(HEALTH_PORT),
        "--metrics-port", Integer.toString(METRICS_PORT),
        "--name", template.serviceName(),
        "--key-file", SECRET_MOUNT + "/" + KEYS));
    if (template.tls()) {
      args.addAll(List.of("--tls-cert", SECRET_MOUNT + "/" + TLS_CERT, "--tls-key", SECRET_MOUNT + "/" + TLS_KEY));
    }
    args.addAll(List.of(
        "--accelerator", template.accelerator().name().toLowerCase(Locale.ROOT),
        // Kubernetes expands $(POD_NAME): every answer names the pod that gave it.
        "--replica-id", "$(POD_NAME)"));
    return args;
  }

  private List<EnvVar> environment(String serviceId) {
    List<EnvVar> env = new ArrayList<>();
    env.add(new EnvVarBuilder().withName("POD_NAME").withNewValueFrom().withNewFieldRef()
        .withFieldPath("metadata.name").endFieldRef().endValueFrom().build());
    env.add(new EnvVarBuilder().withName(STORAGE_ENV).withNewValueFrom().withNewSecretKeyRef()
        .withName(secretName(serviceId)).withKey(STORAGE).withOptional(true).endSecretKeyRef().endValueFrom().build());
    if (settings.runtimeClientId() != null) {
      env.add(new EnvVarBuilder().withName("AZURE_CLIENT_ID").withValue(settings.runtimeClientId()).build());
    }
    return env;
  }

  /**
   * Kubernetes' own gRPC probe asks {@code grpc.health.v1.Health} on the health port, where the
   * runtime answers in plaintext without a key, TLS service or not: the probe speaks no TLS, and the
   * status is NOT_SERVING until the package is loaded and warm (an open port would say nothing).
   */
  private static Probe probe(int periodSeconds, int failureThreshold) {
    return new ProbeBuilder().withPeriodSeconds(periodSeconds).withFailureThreshold(failureThreshold)
        .withTimeoutSeconds(5)
        .withNewGrpc().withPort(HEALTH_PORT).withService("").endGrpc()
        .build();
  }

  private static Toleration toleration(String setting) {
    // key=value:Effect, or key:Effect
    String[] keyAndEffect = setting.split(":", 2);
    String[] keyAndValue = keyAndEffect[0].split("=", 2);
    TolerationBuilder toleration = new TolerationBuilder().withKey(keyAndValue[0]).withEffect(keyAndEffect[1]);
    return keyAndValue.length == 2
        ? toleration.withOperator("Equal").withValue(keyAndValue[1]).build()
        : toleration.withOperator("Exists").build();
  }

  /** The Service in front of the pods: an internal load balancer (a VNet address the function app reaches). */
  Service service(String serviceId, OwnerReference owner) {
    return new ServiceBuilder()
        .withNewMetadata().withName(serviceName(serviceId)).withLabels(labels(serviceId))
          .addToAnnotations("service.beta.kubernetes.io/azure-load-balancer-internal", "true")
          .withOwnerReferences(owner == null ? List.of() : List.of(owner))
        .endMetadata()
        .withNewSpec()
          .withType("LoadBalancer")
          .addToSelector(SERVICE_LABEL, serviceId)
          .addNewPort().withName("grpc").withPort(PORT).withNewTargetPort(PORT).withProtocol("TCP").endPort()
        .endSpec()
        .build();
  }

  /**
   * The storage connection string the pods get in their Secret, or null: only where they have no
   * identity of their own ({@code KUBERNETES_RUNTIME_CLIENT_ID}), since a connection with the
   * account key opens the whole account (its tables with every service's keys among it) to every pod.
   */
  String podStorageConnection() {
    return settings.runtimeClientId() != null ? null : locations.storageConnection().orElse(null);
  }

  /** The Secret's data: the keys one per line, TLS material when the service has TLS, the storage connection when given. */
  static Map<String, String> secretData(List<String> keys, String tlsCertificate, String tlsKey, String storage) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put(KEYS, base64(String.join("\n", keys) + "\n"));
    if (tlsCertificate != null) {
      data.put(TLS_CERT, base64(tlsCertificate));
      data.put(TLS_KEY, base64(tlsKey));
    }
    if (storage != null) {
      data.put(STORAGE, base64(storage));
    }
    return data;
  }

  Secret secret(String serviceId, Map<String, String> data, OwnerReference owner) {
    return new SecretBuilder()
        .withNewMetadata().withName(secretName(serviceId)).withLabels(labels(serviceId))
          .withOwnerReferences(owner == null ? List.of() : List.of(owner))
        .endMetadata()
        .withType("Opaque")
        .withData(data)
        .build();
  }

  /** An owner reference to the Deployment, when the API server gave it a uid. */
  static OwnerReference ownedBy(Deployment deployment) {
    if (deployment.getMetadata().getUid() == null) {
      return null;
    }
    return new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("Deployment")
        .withName(deployment.getMetadata().getName()).withUid(deployment.getMetadata().getUid())
        .withBlockOwnerDeletion(true).withController(true).build();
  }

  static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  static String decode(String base64) {
    return base64 == null ? null : new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }
}
