package io.realtimeai.deployment.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.realtimeai.pipeline.Accelerator;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The objects a service becomes, as built (the API server's part is KubernetesDeploymentsTest's). */
class ServiceObjectsTest {
  private static final PackageLocations LOCATIONS = new PackageLocations() {
    @Override
    public String packageUrl(String blob) {
      return "https://account.blob.core.windows.net/models/" + blob;
    }

    @Override
    public String catalogUrl() {
      return "https://account.blob.core.windows.net/accelerated-models";
    }

    @Override
    public Optional<String> storageConnection() {
      return Optional.empty();
    }
  };

  private static ReplicaTemplate template(Accelerator accelerator, boolean tls, List<String> catalog) {
    return new ReplicaTemplate("resnet", "resnet/3", "resnet/3/model.zip", "ab".repeat(32), catalog, accelerator, tls);
  }

  private static Deployment deployment(KubernetesSettings settings, ReplicaTemplate template) {
    return new ServiceObjects(settings, LOCATIONS).deployment("svc-0123456789", ReplicaLedger.empty().with("r1", template));
  }

  @Test
  void tlsService_isProbedByGrpcOnThePlaintextHealthPortAndGetsItsCertificateFromTheSecret() {
    Container runtime = deployment(KubernetesSettings.defaults("ns"), template(Accelerator.CPU, true, List.of()))
        .getSpec().getTemplate().getSpec().getContainers().get(0);

    assertThat(runtime.getArgs()).containsSequence("--tls-cert", "/etc/realtime-ai/secret/tls.crt")
        .containsSequence("--tls-key", "/etc/realtime-ai/secret/tls.key")
        .doesNotContain("--catalog");
    assertThat(runtime.getArgs()).as("kubelet's gRPC probe speaks no TLS: health has its own plaintext port")
        .containsSequence("--health-port", "8501");
    assertThat(runtime.getPorts()).anySatisfy(port -> {
      assertThat(port.getName()).isEqualTo("health");
      assertThat(port.getContainerPort()).isEqualTo(8501);
      assertThat(port.getProtocol()).isEqualTo("TCP");
    });
    for (var probe : List.of(runtime.getStartupProbe(), runtime.getReadinessProbe(), runtime.getLivenessProbe())) {
      assertThat(probe.getTcpSocket()).as("an open port is not a loaded model").isNull();
      assertThat(probe.getGrpc().getPort()).isEqualTo(8501);
      assertThat(probe.getGrpc().getService()).isEmpty();
    }
    assertThat(runtime.getStartupProbe().getFailureThreshold()).isEqualTo(120);
    assertThat(runtime.getReadinessProbe().getFailureThreshold()).isEqualTo(2);
    assertThat(runtime.getLivenessProbe().getPeriodSeconds()).isEqualTo(10);
  }

  @Test
  void pods_serveMetricsOnTheirMetricsPortAndAreAnnotatedForScraping() {
    var pod = deployment(KubernetesSettings.defaults("ns"), template(Accelerator.CPU, false, List.of()))
        .getSpec().getTemplate();
    Container runtime = pod.getSpec().getContainers().get(0);

    assertThat(runtime.getArgs()).containsSequence("--metrics-port", "9090");
    assertThat(runtime.getPorts()).anySatisfy(port -> {
      assertThat(port.getName()).isEqualTo("metrics");
      assertThat(port.getContainerPort()).isEqualTo(9090);
      assertThat(port.getProtocol()).isEqualTo("TCP");
    });
    assertThat(pod.getMetadata().getAnnotations())
        .containsEntry("prometheus.io/scrape", "true")
        .containsEntry("prometheus.io/port", "9090")
        .containsEntry("prometheus.io/path", "/metrics");
  }

  @Test
  void packageNamingCatalogEntries_isGivenTheCatalogContainer() {
    Container runtime = deployment(KubernetesSettings.defaults("ns"), template(Accelerator.CPU, false, List.of("resnet50/1")))
        .getSpec().getTemplate().getSpec().getContainers().get(0);

    assertThat(runtime.getArgs())
        .containsSequence("--package", "https://account.blob.core.windows.net/models/resnet/3/model.zip")
        .containsSequence("--package-sha256", "ab".repeat(32))
        .containsSequence("--catalog", "https://account.blob.core.windows.net/accelerated-models")
        .containsSequence("--replica-id", "$(POD_NAME)");
    assertThat(runtime.getEnv()).extracting(e -> e.getName()).contains("POD_NAME", "REALTIME_AI_STORAGE")
        .doesNotContain("AZURE_CLIENT_ID");
  }

  @Test
  void gpuPods_tolerateTheConfiguredTaintAndTheDevicePluginsOne() {
    KubernetesSettings settings = new KubernetesSettings("ns", "acr.azurecr.io/realtime-ai-runtime:1", "2", "4Gi",
        "agentpool=gpu", "sku=gpu:NoSchedule", "11111111-2222-3333-4444-555555555555");
    PodSpec pod = deployment(settings, template(Accelerator.CUDA, false, List.of())).getSpec().getTemplate().getSpec();

    assertThat(pod.getNodeSelector()).containsExactlyEntriesOf(java.util.Map.of("agentpool", "gpu"));
    assertThat(pod.getTolerations()).anySatisfy(t -> {
      assertThat(t.getKey()).isEqualTo("sku");
      assertThat(t.getOperator()).isEqualTo("Equal");
      assertThat(t.getValue()).isEqualTo("gpu");
      assertThat(t.getEffect()).isEqualTo("NoSchedule");
    }).anySatisfy(t -> assertThat(t.getKey()).isEqualTo("nvidia.com/gpu"));
    Container runtime = pod.getContainers().get(0);
    assertThat(runtime.getResources().getRequests().get("cpu").toString()).isEqualTo("2");
    assertThat(runtime.getResources().getRequests().get("memory").toString()).isEqualTo("4Gi");
    assertThat(runtime.getResources().getLimits().get("nvidia.com/gpu").toString()).isEqualTo("1");
    assertThat(runtime.getEnv()).anySatisfy(e -> {
      assertThat(e.getName()).isEqualTo("AZURE_CLIENT_ID");
      assertThat(e.getValue()).isEqualTo("11111111-2222-3333-4444-555555555555");
    });
    assertThat(runtime.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(runtime.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
  }

  @Test
  void updateToANewTemplate_keepsThePodCountWhileItsReplicasAreAddedOneByOne() {
    ServiceObjects objects = new ServiceObjects(KubernetesSettings.defaults("ns"), LOCATIONS);
    ReplicaTemplate old = template(Accelerator.CPU, false, List.of());
    ReplicaTemplate next = new ReplicaTemplate("resnet", "resnet/4", "resnet/4/model.zip", "cd".repeat(32), List.of(),
        Accelerator.CPU, false);
    ReplicaLedger running = ReplicaLedger.empty().with("a", old).with("b", old).with("c", old);

    // A Deployment whose replicas dropped to the new replicas started so far would have its
    // controller scale the old pods down at once, before any new one serves.
    Deployment firstNew = objects.deployment("svc-0123456789", running.with("n1", next));
    assertThat(firstNew.getSpec().getReplicas()).isEqualTo(3);
    assertThat(firstNew.getSpec().getTemplate().getMetadata().getLabels()).containsEntry("realtime-ai.io/template", next.hash());
    ReplicaLedger allNew = running.with("n1", next).with("n2", next).with("n3", next);
    assertThat(objects.deployment("svc-0123456789", allNew).getSpec().getReplicas()).isEqualTo(3);
    assertThat(objects.deployment("svc-0123456789", allNew.without("a").without("b").without("c")).getSpec().getReplicas())
        .isEqualTo(3);
    // Scaling within one template follows the replicas.
    assertThat(objects.deployment("svc-0123456789", running.without("c")).getSpec().getReplicas()).isEqualTo(2);
  }

  @Test
  void podsWithAnIdentity_getNoAccountKey() {
    PackageLocations withKey = new PackageLocations() {
      @Override
      public String packageUrl(String blob) {
        return LOCATIONS.packageUrl(blob);
      }

      @Override
      public String catalogUrl() {
        return LOCATIONS.catalogUrl();
      }

      @Override
      public Optional<String> storageConnection() {
        return Optional.of("DefaultEndpointsProtocol=https;AccountName=account;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net");
      }
    };
    KubernetesSettings identity = new KubernetesSettings("ns", "image:1", "1", "2Gi", null, null,
        "11111111-2222-3333-4444-555555555555");

    assertThat(new ServiceObjects(identity, withKey).podStorageConnection()).as("pods read with their identity").isNull();
    assertThat(new ServiceObjects(KubernetesSettings.defaults("ns"), withKey).podStorageConnection())
        .as("no identity: the connection (Azurite's, locally)").contains("AccountKey=");
  }

  @Test
  void keyOnlyToleration_isAnExistsToleration() {
    KubernetesSettings settings = KubernetesSettings.defaults("ns").withGpuPlacement(null, "dedicated:NoExecute");
    PodSpec pod = deployment(settings, template(Accelerator.TENSORRT, false, List.of())).getSpec().getTemplate().getSpec();

    assertThat(pod.getNodeSelector()).isNull();
    assertThat(pod.getTolerations()).anySatisfy(t -> {
      assertThat(t.getKey()).isEqualTo("dedicated");
      assertThat(t.getOperator()).isEqualTo("Exists");
      assertThat(t.getValue()).isNull();
      assertThat(t.getEffect()).isEqualTo("NoExecute");
    });
  }

  @Test
  void malformedPlacementSettings_areErrorsNamingTheSetting() {
    assertThatThrownBy(() -> KubernetesSettings.defaults("ns").withGpuPlacement("agentpool", null))
        .hasMessageContaining("KUBERNETES_GPU_NODE_SELECTOR must be key=value, got 'agentpool'");
    assertThatThrownBy(() -> KubernetesSettings.defaults("ns").withGpuPlacement(null, "sku=gpu:Never"))
        .hasMessageContaining("KUBERNETES_GPU_TOLERATION must be key=value:Effect");
    assertThatThrownBy(() -> KubernetesSettings.defaults(" "))
        .hasMessageContaining("KUBERNETES_NAMESPACE must not be empty");
  }
}
