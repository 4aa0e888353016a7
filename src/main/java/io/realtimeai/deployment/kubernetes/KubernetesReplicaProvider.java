package io.realtimeai.deployment.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.realtimeai.deployment.ProviderUnavailableException;
import io.realtimeai.deployment.ReplicaProvider;
import io.realtimeai.deployment.ReplicaSpec;
import io.realtimeai.deployment.ReplicaStatus;
import io.realtimeai.error.NotFoundException;
import io.realtimeai.pipeline.Accelerator;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Replicas as pods: each service is one Deployment of {@code realtime-ai runtime} pods (the
 * runtime image), a Secret with its keys and a Service, in one namespace ({@link ServiceObjects}).
 * The orchestrator's replica ids live in an annotation on the Deployment ({@link ReplicaLedger});
 * replica <i>i</i> of a template is ready when <i>i</i> + 1 pods of that template are ready
 * endpoints of the Service, and its address is that pod's endpoint, so the scoring client balances
 * every call over the pods. Starting replicas on a new template is a rolling update; stopping the
 * last replica deletes the objects, and is asked again until no pod is left.
 *
 * <p>Pods that cannot run are seen in their own status: a container in {@code CrashLoopBackOff} or
 * {@code ImagePullBackOff} fails the replica with the container's reason and last exit; a pod the
 * scheduler cannot place (no GPU node) keeps it starting, with the scheduler's message as the
 * reason, until the operation's deadline. When the API server cannot be reached or refuses the
 * app, every call throws {@link ProviderUnavailableException}, which the orchestrator retries; an
 * object it refuses (400, 422) is a {@link io.realtimeai.deployment.ProviderRejectedException}.
 */
public final class KubernetesReplicaProvider implements ReplicaProvider {
  private static final Logger LOG = Logger.getLogger(KubernetesReplicaProvider.class.getName());
  /** Waiting reasons after which a container will not start by itself. */
  private static final Set<String> STUCK = Set.of("CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull",
      "InvalidImageName", "CreateContainerConfigError", "CreateContainerError");
  private static final int CONFLICT_RETRIES = 5;
  /** How long one reading of a service's pods and endpoints answers for all its replicas. */
  private static final Duration SNAPSHOT_TTL = Duration.ofSeconds(1);
  /** How long a Service's address is taken as known (it changes only when the Service is made again). */
  private static final Duration ADDRESS_TTL = Duration.ofSeconds(30);

  private final KubernetesClient client;
  private final KubernetesSettings settings;
  private final PackageLocations locations;
  private final ServiceObjects objects;
  private final Map<String, Snapshot> snapshots = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, Address> addresses = new java.util.concurrent.ConcurrentHashMap<>();

  /** A provider over {@code client}, in {@code settings.namespace()}, with packages at {@code locations}. */
  public KubernetesReplicaProvider(KubernetesClient client, KubernetesSettings settings, PackageLocations locations) {
    this.client = Objects.requireNonNull(client, "client");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.locations = Objects.requireNonNull(locations, "locations");
    this.objects = new ServiceObjects(settings, locations);
  }

  @Override
  public void start(ReplicaSpec spec) {
    ReplicaTemplate template = ReplicaTemplate.of(spec);
    forget(spec.serviceId());
    call("start replica " + spec.replicaId() + " of " + spec.serviceId(), () -> {
      Deployment deployment = changeDeployment(spec.serviceId(), ledger -> {
        Optional<ReplicaLedger.Entry> entry = ledger.find(spec.replicaId());
        return entry.isPresent() && entry.get().template().equals(template.hash())
            ? ledger : ledger.with(spec.replicaId(), template);
      }, true);
      OwnerReference owner = ServiceObjects.ownedBy(deployment);
      writeSecret(spec.serviceId(), ServiceObjects.secretData(spec.keys(), spec.tlsCertificate(), spec.tlsKey(),
          objects.podStorageConnection()), owner);
      if (service(spec.serviceId()) == null) {
        client.services().inNamespace(settings.namespace()).resource(objects.service(spec.serviceId(), owner)).create();
      }
      return null;
    });
  }

  @Override
  public ReplicaStatus status(String serviceId, String replicaId) {
    return call("look at replica " + replicaId + " of " + serviceId, () -> {
      Snapshot snapshot = snapshot(serviceId);
      Deployment deployment = snapshot.deployment();
      if (deployment == null) {
        return ReplicaStatus.gone();
      }
      ReplicaLedger ledger = ledger(deployment);
      Optional<ReplicaLedger.Entry> entry = ledger.find(replicaId);
      if (entry.isEmpty()) {
        return ReplicaStatus.gone();
      }
      ReplicaTemplate template = ledger.templates().get(entry.get().template());
      List<Pod> pods = snapshot.pods().stream()
          .filter(p -> entry.get().template().equals(label(p, ServiceObjects.TEMPLATE_LABEL)))
          .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
          .sorted(Comparator.comparing((Pod p) -> String.valueOf(p.getMetadata().getCreationTimestamp()))
              .thenComparing(p -> p.getMetadata().getName()))
          .toList();
      Map<String, String> endpoints = snapshot.endpoints();
      List<String> ready = pods.stream().map(p -> endpoints.get(p.getMetadata().getName())).filter(Objects::nonNull).toList();
      int index = ledger.indexAmongTemplate(entry.get());
      if (index < ready.size()) {
        String address = ready.get(index);
        int colon = address.lastIndexOf(':');
        return ReplicaStatus.ready(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)),
            acceleratorName(template.accelerator()));
      }
      for (Pod pod : pods) {
        Optional<String> stuck = stuck(pod);
        if (stuck.isPresent()) {
          return ReplicaStatus.failed(stuck.get());
        }
      }
      return pods.stream().map(KubernetesReplicaProvider::unschedulable).flatMap(Optional::stream).findFirst()
          .map(ReplicaStatus::starting)
          .orElseGet(ReplicaStatus::starting);
    });
  }

  @Override
  public void stop(String serviceId, String replicaId) {
    forget(serviceId);
    call("stop replica " + replicaId + " of " + serviceId, () -> {
      Deployment deployment = deployment(serviceId);
      ReplicaLedger left = deployment == null ? ReplicaLedger.empty() : ledger(deployment).without(replicaId);
      if (!left.replicas().isEmpty()) {
        changeDeployment(serviceId, ledger -> ledger.without(replicaId), false);
        return null;
      }
      deleteAll(serviceId);
      return null;
    });
  }

  @Override
  public void updateKeys(String serviceId, String replicaId, List<String> keys) {
    call("give replica " + replicaId + " of " + serviceId + " new keys", () -> {
      Secret secret = client.secrets().inNamespace(settings.namespace()).withName(ServiceObjects.secretName(serviceId)).get();
      if (secret == null) {
        throw new NotFoundException("replica " + serviceId + "/" + replicaId + " does not exist");
      }
      // The kubelet refreshes the mounted file and the runtime re-reads it: no pod restarts.
      Map<String, String> data = new LinkedHashMap<>(secret.getData());
      data.put(ServiceObjects.KEYS, ServiceObjects.secretData(keys, null, null, null).get(ServiceObjects.KEYS));
      if (!data.equals(secret.getData())) {
        secret.setData(data);
        client.secrets().inNamespace(settings.namespace()).resource(secret).update();
      }
      return null;
    });
  }

  @Override
  public List<String> replicas(String serviceId) {
    return call("list the replicas of " + serviceId, () -> {
      Deployment deployment = deployment(serviceId);
      return deployment == null ? List.<String>of() : ledger(deployment).ids();
    });
  }

  /**
   * The Service's own address ({@code host:port}): its load balancer's, else its cluster IP; empty
   * until the cluster gave it one.
   */
  @Override
  public Optional<String> serviceAddress(String serviceId) {
    Address known = addresses.get(serviceId);
    if (known != null && System.nanoTime() - known.readAt() < ADDRESS_TTL.toNanos()) {
      return Optional.of(known.address());
    }
    Optional<String> address = call("look at the Service of " + serviceId, () -> {
      Service service = service(serviceId);
      if (service == null) {
        return Optional.<String>empty();
      }
      String host = null;
      if (service.getStatus() != null && service.getStatus().getLoadBalancer() != null
          && service.getStatus().getLoadBalancer().getIngress() != null) {
        host = service.getStatus().getLoadBalancer().getIngress().stream()
            .map(i -> i.getIp() != null ? i.getIp() : i.getHostname()).filter(Objects::nonNull).findFirst().orElse(null);
      }
      boolean balanced = host != null;
      if (host == null && service.getSpec().getClusterIP() != null && !"None".equals(service.getSpec().getClusterIP())) {
        host = service.getSpec().getClusterIP();
      }
      Optional<String> found = Optional.ofNullable(host).map(h -> h + ":" + ServiceObjects.PORT);
      // Only the load balancer's address is kept: the cluster IP stands in until it comes.
      if (balanced) {
        addresses.put(serviceId, new Address(found.get(), System.nanoTime()));
      }
      return found;
    });
    return address;
  }

  /**
   * What the cluster says of one service (its Deployment, pods and ready endpoints), read once for
   * all of its replicas: the supervisor and the orchestrator ask of each replica in turn.
   */
  private record Snapshot(Deployment deployment, List<Pod> pods, Map<String, String> endpoints, long readAt) {}

  private record Address(String address, long readAt) {}

  private Snapshot snapshot(String serviceId) {
    Snapshot known = snapshots.get(serviceId);
    if (known != null && System.nanoTime() - known.readAt() < SNAPSHOT_TTL.toNanos()) {
      return known;
    }
    Deployment deployment = deployment(serviceId);
    Snapshot read = deployment == null ? new Snapshot(null, List.of(), Map.of(), System.nanoTime())
        : new Snapshot(deployment, pods(serviceId), readyEndpoints(serviceId), System.nanoTime());
    snapshots.put(serviceId, read);
    return read;
  }

  /** A change of the service: the next status is read afresh. */
  private void forget(String serviceId) {
    snapshots.remove(serviceId);
  }

  /** Pods keep running when the function host stops: only the client is closed. */
  @Override
  public void close() {
    client.close();
  }

  /** Creates or changes the Deployment so that it runs {@code change(ledger)}, retrying on a concurrent change. */
  private Deployment changeDeployment(String serviceId, java.util.function.UnaryOperator<ReplicaLedger> change,
      boolean create) {
    for (int attempt = 0; ; attempt++) {
      Deployment current = deployment(serviceId);
      try {
        if (current == null) {
          if (!create) {
            return null;
          }
          return client.apps().deployments().inNamespace(settings.namespace())
              .resource(objects.deployment(serviceId, change.apply(ReplicaLedger.empty()))).create();
        }
        ReplicaLedger before = ledger(current);
        ReplicaLedger after = change.apply(before);
        if (after.equals(before)) {
          return current;
        }
        // Conditional on the resourceVersion read: a concurrent change makes this a 409, and we read again.
        Deployment updated = client.apps().deployments().inNamespace(settings.namespace())
            .resource(objects.apply(current, serviceId, after)).update();
        if (!after.current().equals(before.current())) {
          LOG.info(() -> "service " + serviceId + ": rolling to template " + after.current().get().hash()
              + " (" + after.current().get().modelId() + ")");
        }
        return updated;
      } catch (KubernetesClientException e) {
        if ((e.getCode() == 409) && attempt < CONFLICT_RETRIES) {
          continue;
        }
        throw e;
      }
    }
  }

  private void writeSecret(String serviceId, Map<String, String> data, OwnerReference owner) {
    Secret existing = client.secrets().inNamespace(settings.namespace()).withName(ServiceObjects.secretName(serviceId)).get();
    if (existing != null && existing.getData() != null && existing.getData().containsKey(ServiceObjects.KEYS)) {
      // Keys change only through updateKeys: a replica started from a record read earlier must not put old ones back.
      data = new LinkedHashMap<>(data);
      data.put(ServiceObjects.KEYS, existing.getData().get(ServiceObjects.KEYS));
    }
    if (existing == null) {
      client.secrets().inNamespace(settings.namespace()).resource(objects.secret(serviceId, data, owner)).create();
    } else if (!data.equals(existing.getData())) {
      existing.setData(data);
      client.secrets().inNamespace(settings.namespace()).resource(existing).update();
    }
  }

  /**
   * Deletes the Deployment (its pods go with it, foreground), the Service and the Secret; pods
   * still terminating make this a {@link ProviderUnavailableException}, so that the orchestrator
   * asks again (the deletes are idempotent) and the operation finishes once no pod is left.
   */
  private void deleteAll(String serviceId) {
    addresses.remove(serviceId);
    snapshots.remove(serviceId);
    String namespace = settings.namespace();
    client.apps().deployments().inNamespace(namespace).withName(ServiceObjects.deploymentName(serviceId))
        .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.FOREGROUND).delete();
    client.services().inNamespace(namespace).withName(ServiceObjects.serviceName(serviceId)).delete();
    client.secrets().inNamespace(namespace).withName(ServiceObjects.secretName(serviceId)).delete();
    List<Pod> left = pods(serviceId);
    if (!left.isEmpty()) {
      // Not a sleeping thread: the orchestrator asks again with its backoff until the kubelets are done.
      throw new ProviderUnavailableException("service " + serviceId + ": " + left.size() + " pod(s) still terminating ("
          + left.stream().map(p -> p.getMetadata().getName()).toList() + ")", null);
    }
    LOG.info(() -> "service " + serviceId + ": Deployment, Service and Secret deleted, no pod left");
  }

  private Deployment deployment(String serviceId) {
    return client.apps().deployments().inNamespace(settings.namespace()).withName(ServiceObjects.deploymentName(serviceId)).get();
  }

  private Service service(String serviceId) {
    return client.services().inNamespace(settings.namespace()).withName(ServiceObjects.serviceName(serviceId)).get();
  }

  private List<Pod> pods(String serviceId) {
    return client.pods().inNamespace(settings.namespace()).withLabel(ServiceObjects.SERVICE_LABEL, serviceId).list().getItems();
  }

  /** Ready endpoints of the Service by pod name: {@code address:port}. */
  private Map<String, String> readyEndpoints(String serviceId) {
    Map<String, String> ready = new LinkedHashMap<>();
    List<EndpointSlice> slices = client.discovery().v1().endpointSlices().inNamespace(settings.namespace())
        .withLabel("kubernetes.io/service-name", ServiceObjects.serviceName(serviceId)).list().getItems();
    for (EndpointSlice slice : slices) {
      Integer port = slice.getPorts() == null ? null : slice.getPorts().stream()
          .filter(p -> p.getName() == null || "grpc".equals(p.getName())).map(EndpointPort::getPort)
          .filter(Objects::nonNull).findFirst().orElse(null);
      if (port == null || slice.getEndpoints() == null) {
        continue;
      }
      for (Endpoint endpoint : slice.getEndpoints()) {
        boolean isReady = endpoint.getConditions() == null || !Boolean.FALSE.equals(endpoint.getConditions().getReady());
        if (isReady && endpoint.getTargetRef() != null && endpoint.getAddresses() != null && !endpoint.getAddresses().isEmpty()) {
          ready.put(endpoint.getTargetRef().getName(), endpoint.getAddresses().get(0) + ":" + port);
        }
      }
    }
    return ready;
  }

  private static ReplicaLedger ledger(Deployment deployment) {
    Map<String, String> annotations = deployment.getMetadata().getAnnotations();
    return ReplicaLedger.parse(annotations == null ? null : annotations.get(ReplicaLedger.ANNOTATION));
  }

  /** A container that will not start by itself: its reason, message and last exit. */
  static Optional<String> stuck(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return Optional.empty();
    }
    for (ContainerStatus container : pod.getStatus().getContainerStatuses()) {
      if (container.getState() == null || container.getState().getWaiting() == null) {
        continue;
      }
      String reason = container.getState().getWaiting().getReason();
      if (reason != null && STUCK.contains(reason)) {
        StringBuilder why = new StringBuilder("pod ").append(pod.getMetadata().getName()).append(": container ")
            .append(container.getName()).append(" is in ").append(reason);
        String message = container.getState().getWaiting().getMessage();
        if (message != null && !message.isBlank()) {
          why.append(" (").append(message.strip()).append(')');
        }
        if (container.getLastState() != null && container.getLastState().getTerminated() != null) {
          var last = container.getLastState().getTerminated();
          why.append("; last exit code ").append(last.getExitCode());
          if (last.getReason() != null) {
            why.append(" (").append(last.getReason()).append(')');
          }
          if (last.getMessage() != null && !last.getMessage().isBlank()) {
            why.append(": ").append(last.getMessage().strip());
          }
        }
        if (container.getRestartCount() != null && container.getRestartCount() > 0) {
          why.append("; restarted ").append(container.getRestartCount()).append(" time(s)");
        }
        return Optional.of(why.toString());
      }
    }
    return Optional.empty();
  }

  /** The scheduler's word on a pod it cannot place, e.g. {@code 0/3 nodes are available: 3 Insufficient nvidia.com/gpu}. */
  static Optional<String> unschedulable(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    for (PodCondition condition : pod.getStatus().getConditions()) {
      if ("PodScheduled".equals(condition.getType()) && "False".equals(condition.getStatus())
          && "Unschedulable".equals(condition.getReason())) {
        return Optional.of("pod " + pod.getMetadata().getName() + " cannot be scheduled: " + condition.getMessage());
      }
    }
    return Optional.empty();
  }

  private static String label(Pod pod, String name) {
    return pod.getMetadata().getLabels() == null ? null : pod.getMetadata().getLabels().get(name);
  }

  /**
   * What the runtime runs on: GPU services insist on CUDA and CPU ones on the CPU, so the pod's
   * arguments say it; an FPGA service takes the best the pod has, which only the runtime knows.
   */
  private static String acceleratorName(Accelerator accelerator) {
    return switch (accelerator) {
      case CPU -> "CPU";
      case CUDA -> "CUDA";
      case TENSORRT -> "TensorRT";
      case AUTO -> null;
    };
  }

  /**
   * Runs one API conversation. An API server that cannot be reached, is busy or refuses the app
   * (401, 403: an operator may still grant the Role) is a retryable error; one that refuses the
   * object itself (400, 422) is not.
   */
  private <T> T call(String what, Supplier<T> conversation) {
    try {
      return conversation.get();
    } catch (KubernetesClientException e) {
      String status = e.getCode() > 0 ? " (" + e.getCode() + (e.getStatus() != null && e.getStatus().getReason() != null
          ? " " + e.getStatus().getReason() : "") + ")" : "";
      String message = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
          : rootMessage(e);
      String hint = e.getCode() == 401 || e.getCode() == 403
          ? "; the app's identity needs the realtime-ai Role in namespace " + settings.namespace() : "";
      String answer = e.getCode() > 0 ? " answered" + status + ": " : " cannot be reached: ";
      String said = "cannot " + what + ": the Kubernetes API server at " + client.getMasterUrl() + answer + message + hint;
      if (e.getCode() == 400 || e.getCode() == 422) {
        // The object itself is refused (a setting that is not a quantity, an invalid name): asking again changes nothing.
        throw new io.realtimeai.deployment.ProviderRejectedException(said, e);
      }
      throw new ProviderUnavailableException(said, e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }

  @Override
  public String toString() {
    return "Kubernetes at " + client.getMasterUrl() + ", " + settings;
  }
}
