package io.realtimeai.deployment.kubernetes;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.DefaultAzureCredentialBuilder;
import io.fabric8.kubernetes.api.model.NamedCluster;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.OAuthTokenProvider;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;
import io.realtimeai.app.AppSettings;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.Locale;

/**
 * The Kubernetes client the app talks to its cluster with, from the settings:
 * {@code KUBERNETES_KUBECONFIG} (a kubeconfig's YAML, or its base64, as {@code az aks} hands it out)
 * or, without it, fabric8's own discovery ({@code ~/.kube/config}, {@code KUBECONFIG}, in-cluster
 * service account); {@code KUBERNETES_AUTH=managed-identity} keeps the kubeconfig's server and
 * CA but authenticates with the app's managed identity (a Microsoft Entra token for AKS), for a
 * Function App where no {@code kubelogin} can run.
 */
public final class Clusters {
  /** Microsoft Entra ID's application id of the AKS API server: the audience of its tokens. */
  static final String AKS_SCOPE = "6dae42f8-4368-4678-94ff-3960e28e3630/.default";

  private Clusters() {}

  /** A client for the cluster the settings name, in namespace {@code namespace}. */
  public static KubernetesClient fromAppSettings(String namespace) {
    String kubeconfig = AppSettings.get("KUBERNETES_KUBECONFIG").map(Clusters::decoded).orElse(null);
    String auth = AppSettings.get("KUBERNETES_AUTH", "kubeconfig").strip().toLowerCase(Locale.ROOT);
    Config config;
    switch (auth) {
      case "kubeconfig" -> config = kubeconfig == null ? Config.autoConfigure(null) : Config.fromKubeconfig(kubeconfig);
      case "managed-identity" -> {
        if (kubeconfig == null) {
          throw new IllegalStateException("setting KUBERNETES_AUTH=managed-identity needs KUBERNETES_KUBECONFIG"
              + " (the cluster's server and CA)");
        }
        config = managedIdentity(kubeconfig);
      }
      default -> throw new IllegalStateException("setting KUBERNETES_AUTH must be kubeconfig or managed-identity, got '"
          + auth + "'");
    }
    Config chosen = new ConfigBuilder(config).withNamespace(namespace)
        // The orchestrator retries a step itself (with its own backoff): one quick attempt per call here.
        .withRequestRetryBackoffLimit(1).withConnectionTimeout(5_000).withRequestTimeout(30_000).build();
    return new KubernetesClientBuilder().withConfig(chosen).build();
  }

  private static Config managedIdentity(String kubeconfig) {
    io.fabric8.kubernetes.api.model.Config parsed = KubeConfigUtils.parseConfigFromString(kubeconfig);
    String contextName = parsed.getCurrentContext();
    String clusterName = parsed.getContexts().stream().filter(c -> c.getName().equals(contextName)).findFirst()
        .map(c -> c.getContext().getCluster())
        .orElseGet(() -> parsed.getClusters().get(0).getName());
    NamedCluster cluster = parsed.getClusters().stream().filter(c -> c.getName().equals(clusterName)).findFirst()
        .orElseThrow(() -> new IllegalStateException("KUBERNETES_KUBECONFIG names no cluster " + clusterName));
    return new ConfigBuilder(Config.empty())
        .withMasterUrl(cluster.getCluster().getServer())
        .withCaCertData(cluster.getCluster().getCertificateAuthorityData())
        .withOauthTokenProvider(new EntraTokens())
        .build();
  }

  /** Accepts a kubeconfig as YAML or as base64 of it (ARM's listClusterUserCredential answer). */
  static String decoded(String setting) {
    String text = setting.strip();
    if (text.contains("apiVersion") || text.contains("clusters:")) {
      return text;
    }
    try {
      return new String(Base64.getDecoder().decode(text), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("setting KUBERNETES_KUBECONFIG is neither a kubeconfig nor its base64");
    }
  }

  /** Tokens of the app's managed identity for the AKS API server, renewed five minutes before they expire. */
  private static final class EntraTokens implements OAuthTokenProvider {
    private final com.azure.core.credential.TokenCredential credential = new DefaultAzureCredentialBuilder().build();
    private AccessToken token;

    @Override
    public synchronized String getToken() {
      if (token == null || token.getExpiresAt().isBefore(OffsetDateTime.now().plusMinutes(5))) {
        token = credential.getTokenSync(new TokenRequestContext().addScopes(AKS_SCOPE));
      }
      return token.getToken();
    }
  }
}
