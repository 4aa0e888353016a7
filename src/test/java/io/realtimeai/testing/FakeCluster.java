package io.realtimeai.testing;

import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.LoadBalancerIngressBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.logging.Logger;

/**
 * The controllers a cluster would run, played against fabric8's mock API server (CRUD mode),
 * which stores objects but runs nothing: the Deployment controller (pods for the pod template,
 * rolling updates, scale, pods removed with their Deployment), the scheduler (a pod asking for a
 * GPU stays Pending and unschedulable while the cluster has no GPU node), the kubelet (each pod's
 * container is a {@link Container} the test chooses: a stand-in, or a real runtime process) and the
 * EndpointSlice and Service controllers (ready pods become endpoints, a Service gets its IPs).
 */
public final class FakeCluster implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(FakeCluster.class.getName());
  private static final String SERVICE_LABEL = "realtime-ai.io/service";
  private static final String TEMPLATE_LABEL = "realtime-ai.io/template";

  /** A pod's container as the kubelet runs it. */
  public interface Container {
    /** {@code host:port} once the container passes its readiness probe, else null. */
    String readyAddress();

    /** Why the container exited ({@code exit code: last lines}), or null while it runs. */
    String exited();

    /** The pod's Secret changed: the kubelet refreshes the mounted files. */
    default void refreshSecret(Secret secret) {}

    /** The pod is deleted. */
    void stop();
  }

  private final KubernetesClient client;
  private final String namespace;
  private final BiFunction<Pod, Secret, Container> kubelet;
  private final Map<String, Container> containers = new ConcurrentHashMap<>();
  private final Map<String, String> secretVersions = new ConcurrentHashMap<>();
  private final AtomicInteger addresses = new AtomicInteger(1);
  private final Thread loop;
  private volatile boolean running = true;
  private volatile int gpuNodes;
  private volatile int podsCreated;
  private final Set<String> cutOff = ConcurrentHashMap.newKeySet();

  /** A cluster over {@code client}'s API server whose containers {@code kubelet} runs. */
  public FakeCluster(KubernetesClient client, String namespace, BiFunction<Pod, Secret, Container> kubelet) {
    this.client = client;
    this.namespace = namespace;
    this.kubelet = kubelet;
    this.loop = new Thread(this::run, "fake-cluster");
    this.loop.setDaemon(true);
    this.loop.start();
  }

  /** Containers that are ready at once at a made-up pod IP, port 8500. */
  public static BiFunction<Pod, Secret, Container> standIns(Set<String> crashingServices) {
    AtomicInteger ips = new AtomicInteger(10);
    return (pod, secret) -> {
      String address = "10.244.0." + ips.incrementAndGet() + ":8500";
      List<String> args = pod.getSpec().getContainers().get(0).getArgs();
      String service = args.get(args.indexOf("--name") + 1);
      boolean crashes = crashingServices.contains(service);
      return new Container() {
        @Override
        public String readyAddress() {
          return crashes ? null : address;
        }

        @Override
        public String exited() {
          // The runtime's own one-line error for a package that is not the one the registry recorded.
          return crashes ? "1: realtime-ai: invalid model package: " + args.get(args.indexOf("--package") + 1)
              + " has SHA-256 35c3edbf…14afc, not the " + args.get(args.indexOf("--package-sha256") + 1)
              + " given by --package-sha256" : null;
        }

        @Override
        public void stop() {}
      };
    };
  }

  /** How many GPU nodes the scheduler may place pods on (none at first). */
  public void gpuNodes(int count) {
    gpuNodes = count;
  }

  /**
   * The node running a service's pods loses contact ({@code true}) or is back: meanwhile its pods, once deleted, stay
   * terminating, as Kubernetes keeps them until the kubelet confirms or the node is removed.
   */
  public void cutOff(String serviceId, boolean lost) {
    if (lost) {
      cutOff.add(serviceId);
    } else {
      cutOff.remove(serviceId);
    }
  }

  /** How many pods the Deployment controller has created so far. */
  public int podsCreated() {
    return podsCreated;
  }

  /** The pods of a service now. */
  public List<Pod> pods(String serviceId) {
    return client.pods().inNamespace(namespace).withLabel(SERVICE_LABEL, serviceId).list().getItems();
  }

  private void run() {
    while (running) {
      try {
        reconcile();
      } catch (KubernetesClientException e) {
        // The API server is away (a test takes it down): a controller waits and tries again.
      } catch (RuntimeException e) {
        LOG.warning("fake cluster: " + e);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private synchronized void reconcile() {
    List<Deployment> deployments = client.apps().deployments().inNamespace(namespace).list().getItems();
    Set<String> services = new java.util.HashSet<>();
    for (Deployment deployment : deployments) {
      services.add(deployment.getSpec().getSelector().getMatchLabels().get(SERVICE_LABEL));
      rollOut(deployment);
    }
    for (Pod pod : client.pods().inNamespace(namespace).list().getItems()) {
      String service = pod.getMetadata().getLabels().get(SERVICE_LABEL);
      if (!services.contains(service)) {
        deletePod(pod);
      } else {
        runPod(pod);
      }
    }
    for (Service service : client.services().inNamespace(namespace).list().getItems()) {
      publish(service);
    }
  }

  /**
   * The Deployment controller's rolling update (maxSurge 1, maxUnavailable 0), as Kubernetes runs
   * it: at most {@code replicas + 1} pods in all; old pods are removed, unready ones first, as long
   * as {@code replicas} pods stay ready (so a lower {@code replicas} scales old pods down at once,
   * without waiting for new ones); new pods are added up to {@code replicas}.
   */
  private void rollOut(Deployment deployment) {
    String service = deployment.getSpec().getSelector().getMatchLabels().get(SERVICE_LABEL);
    String template = deployment.getSpec().getTemplate().getMetadata().getLabels().get(TEMPLATE_LABEL);
    int desired = deployment.getSpec().getReplicas() == null ? 1 : deployment.getSpec().getReplicas();
    List<Pod> pods = pods(service).stream().sorted(Comparator.comparing(p -> p.getMetadata().getName())).toList();
    List<Pod> current = new ArrayList<>(pods.stream()
        .filter(p -> template.equals(p.getMetadata().getLabels().get(TEMPLATE_LABEL))).toList());
    List<Pod> old = new ArrayList<>(pods.stream().filter(p -> !current.contains(p))
        .sorted(Comparator.comparing(FakeCluster::isReady)).toList());
    while (current.size() > desired) {
      deletePod(current.remove(current.size() - 1));
    }
    long ready = pods.stream().filter(FakeCluster::isReady).count();
    for (Pod pod : List.copyOf(old)) {
      boolean podReady = isReady(pod);
      if (!podReady || ready - 1 >= desired) {
        deletePod(pod);
        old.remove(pod);
        ready -= podReady ? 1 : 0;
      }
    }
    while (current.size() < desired && current.size() + old.size() < desired + 1) {
      createPod(deployment, template);
      current.add(null);
    }
  }

  private void createPod(Deployment deployment, String template) {
    String name = deployment.getMetadata().getName() + "-" + template + "-" + Integer.toHexString(podsCreated + 0x10000);
    podsCreated++;
    Pod pod = new PodBuilder()
        .withNewMetadata().withName(name).withNamespace(namespace)
          .withLabels(deployment.getSpec().getTemplate().getMetadata().getLabels())
          .withCreationTimestamp(Instant.now().toString())
        .endMetadata()
        .withSpec(deployment.getSpec().getTemplate().getSpec())
        .withNewStatus().withPhase("Pending").endStatus()
        .build();
    client.pods().inNamespace(namespace).resource(pod).create();
  }

  private void deletePod(Pod pod) {
    if (cutOff.contains(pod.getMetadata().getLabels().get(SERVICE_LABEL))) {
      return;
    }
    Container container = containers.remove(pod.getMetadata().getName());
    if (container != null) {
      container.stop();
    }
    client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).delete();
  }

  /** The scheduler and the kubelet for one pod. */
  private void runPod(Pod pod) {
    String name = pod.getMetadata().getName();
    io.fabric8.kubernetes.api.model.Container spec = pod.getSpec().getContainers().get(0);
    Map<String, Quantity> limits = spec.getResources() == null ? null : spec.getResources().getLimits();
    boolean wantsGpu = limits != null && limits.containsKey("nvidia.com/gpu");
    PodStatus status;
    if (wantsGpu && gpuNodes == 0) {
      status = new PodStatusBuilder().withPhase("Pending").withConditions(new PodConditionBuilder()
          .withType("PodScheduled").withStatus("False").withReason("Unschedulable")
          .withMessage("0/1 nodes are available: 1 Insufficient nvidia.com/gpu. preemption: 0/1 nodes are available:"
              + " 1 No preemption victims found for incoming pod.").build()).build();
    } else {
      Secret secret = client.secrets().inNamespace(namespace).withName(secretName(pod)).get();
      if (secret == null) {
        // A pod whose Secret is not there yet waits in ContainerCreating.
        return;
      }
      Container container = containers.computeIfAbsent(name, n -> kubelet.apply(pod, secret));
      String version = secret.getMetadata().getResourceVersion() + "/" + secret.getData().hashCode();
      if (!version.equals(secretVersions.put(name, version))) {
        container.refreshSecret(secret);
      }
      String exit = container.exited();
      String address = exit == null ? container.readyAddress() : null;
      ContainerStatusBuilder containerStatus = new ContainerStatusBuilder().withName(spec.getName())
          .withImage(spec.getImage()).withReady(address != null).withRestartCount(exit == null ? 0 : 4);
      if (exit != null) {
        String[] codeAndMessage = exit.split(": ", 2);
        containerStatus.withState(new ContainerStateBuilder().withNewWaiting().withReason("CrashLoopBackOff")
                .withMessage("back-off 1m20s restarting failed container=runtime pod=" + name).endWaiting().build())
            .withLastState(new ContainerStateBuilder().withNewTerminated().withExitCode(Integer.parseInt(codeAndMessage[0]))
                .withReason("Error").withMessage(codeAndMessage.length > 1 ? codeAndMessage[1] : "").endTerminated().build());
      } else {
        containerStatus.withState(new ContainerStateBuilder().withNewRunning().withStartedAt(Instant.now().toString())
            .endRunning().build());
      }
      status = new PodStatusBuilder().withPhase("Running")
          .withPodIP(address == null ? null : address.substring(0, address.lastIndexOf(':')))
          .withConditions(new PodConditionBuilder().withType("PodScheduled").withStatus("True").build(),
              new PodConditionBuilder().withType("Ready").withStatus(address != null ? "True" : "False").build())
          .withContainerStatuses(containerStatus.build())
          .build();
    }
    if (!sameStatus(pod.getStatus(), status)) {
      pod.setStatus(status);
      client.pods().inNamespace(namespace).resource(pod).updateStatus();
    }
  }

  /** The Service and EndpointSlice controllers: IPs for the Service, one slice per ready pod. */
  private void publish(Service service) {
    String name = service.getMetadata().getName();
    if (service.getSpec().getClusterIP() == null) {
      int n = addresses.incrementAndGet();
      service.getSpec().setClusterIP("10.0.0." + n);
      service = client.services().inNamespace(namespace).resource(service).update();
      service.setStatus(new io.fabric8.kubernetes.api.model.ServiceStatusBuilder().withNewLoadBalancer()
          .withIngress(new LoadBalancerIngressBuilder().withIp("10.224.0." + n).build()).endLoadBalancer().build());
      client.services().inNamespace(namespace).resource(service).updateStatus();
    }
    String selected = service.getSpec().getSelector().get(SERVICE_LABEL);
    List<String> wanted = new ArrayList<>();
    for (Pod pod : pods(selected)) {
      Container container = containers.get(pod.getMetadata().getName());
      String address = container == null || !isReady(pod) ? null : container.readyAddress();
      if (address == null) {
        continue;
      }
      String sliceName = pod.getMetadata().getName();
      wanted.add(sliceName);
      int colon = address.lastIndexOf(':');
      EndpointSlice slice = new EndpointSliceBuilder()
          .withNewMetadata().withName(sliceName).withNamespace(namespace)
            .addToLabels("kubernetes.io/service-name", name).endMetadata()
          .withAddressType("IPv4")
          .addNewEndpoint().withAddresses(address.substring(0, colon)).withNewConditions().withReady(true).endConditions()
            .withTargetRef(new ObjectReferenceBuilder().withKind("Pod").withName(pod.getMetadata().getName())
                .withNamespace(namespace).build())
          .endEndpoint()
          .addNewPort().withName("grpc").withPort(Integer.parseInt(address.substring(colon + 1))).withProtocol("TCP").endPort()
          .build();
      if (client.discovery().v1().endpointSlices().inNamespace(namespace).withName(sliceName).get() == null) {
        client.discovery().v1().endpointSlices().inNamespace(namespace).resource(slice).create();
      }
    }
    for (EndpointSlice slice : client.discovery().v1().endpointSlices().inNamespace(namespace)
        .withLabel("kubernetes.io/service-name", name).list().getItems()) {
      if (!wanted.contains(slice.getMetadata().getName())) {
        client.discovery().v1().endpointSlices().inNamespace(namespace).withName(slice.getMetadata().getName()).delete();
      }
    }
  }

  private static String secretName(Pod pod) {
    return pod.getSpec().getVolumes().stream().filter(v -> v.getSecret() != null).findFirst()
        .map(v -> v.getSecret().getSecretName()).orElseThrow();
  }

  private static boolean isReady(Pod pod) {
    return pod.getStatus() != null && pod.getStatus().getConditions() != null && pod.getStatus().getConditions().stream()
        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static boolean sameStatus(PodStatus before, PodStatus after) {
    if (before == null) {
      return false;
    }
    // Timestamps aside: the phase, the IP, the conditions' values and the containers' states.
    return Objects.equals(before.getPhase(), after.getPhase()) && Objects.equals(before.getPodIP(), after.getPodIP())
        && Objects.equals(summary(before), summary(after));
  }

  private static String summary(PodStatus status) {
    StringBuilder s = new StringBuilder();
    if (status.getConditions() != null) {
      status.getConditions().forEach(c -> s.append(c.getType()).append('=').append(c.getStatus()).append(';'));
    }
    if (status.getContainerStatuses() != null) {
      status.getContainerStatuses().forEach(c -> s.append(c.getReady()).append(c.getState().getWaiting() != null
          ? c.getState().getWaiting().getReason() : "running").append(';'));
    }
    return s.toString();
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    loop.interrupt();
    loop.join(10_000);
    containers.values().forEach(Container::stop);
    containers.clear();
  }
}
