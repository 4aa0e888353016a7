// The Function App: Linux, Java 17, on an Elastic Premium plan (EP1; Deploy to Azure in README.md says why),
// integrated with the VNet so that it reaches the scoring pods, with a system-assigned identity
// that the cluster's RoleBinding names. Every setting the code reads is in appSettings below, and
// nothing else but what the Functions host owns: InfraSettingsTest checks both directions, so keep
// one `name: '…'` per setting.

@description('Azure region of the plan and the app.')
param location string

@description('Name of the Function App (globally unique: it is the host name).')
param name string

@description('Name of the app\'s storage account.')
param storageAccountName string

@description('Resource id of the subnet the app integrates with.')
param subnetId string

@description('Application Insights connection string.')
param appInsightsConnectionString string

@description('Name of the Event Grid custom topic the app publishes to.')
param eventGridTopicName string

@description('Name of the AKS cluster the replicas run on.')
param clusterName string

@description('Login server of the container registry (name.azurecr.io).')
param registryLoginServer string

@description('Tag of the runtime image, realtime-ai-runtime:<tag>, pushed with Jib.')
param runtimeImageTag string

@description('Client id of the cluster\'s kubelet identity, the identity pods read packages with.')
param runtimeClientId string

@description('Node selector of GPU pods, key=value (the GPU pool\'s label).')
param gpuNodeSelector string

@description('Toleration of GPU pods, key=value:Effect (the GPU pool\'s taint).')
param gpuToleration string

@description('How many GPU replicas may run in all (one T4 per GPU node).')
param acceleratorQuota int

@description('Most instances the plan scales out to.')
param maximumElasticWorkerCount int = 10

param tags object = {}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource topic 'Microsoft.EventGrid/topics@2022-06-15' existing = {
  name: eventGridTopicName
}

resource cluster 'Microsoft.ContainerService/managedClusters@2024-02-01' existing = {
  name: clusterName
}

// Key-based: Storage.connect accepts connection strings only (identity-based storage is not
// supported by the code yet), and the Kubernetes provider hands this connection to the pods.
var storageConnection = 'DefaultEndpointsProtocol=https;AccountName=${storage.name};AccountKey=${storage.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}'

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: 'plan-${name}'
  location: location
  tags: tags
  kind: 'elastic'
  sku: {
    name: 'EP1'
    tier: 'ElasticPremium'
  }
  properties: {
    reserved: true
    maximumElasticWorkerCount: maximumElasticWorkerCount
  }
}

resource app 'Microsoft.Web/sites@2023-12-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    reserved: true
    httpsOnly: true
    virtualNetworkSubnetId: subnetId
    siteConfig: {
      linuxFxVersion: 'Java|17'
      // Only private (RFC 1918) traffic, the pod IPs, goes through the VNet; storage, Event Grid,
      // Entra ID and the AKS API server stay on the app's own outbound path, so the functions
      // subnet needs no NAT gateway (new VNets no longer get default outbound access).
      vnetRouteAllEnabled: false
      minimumElasticInstanceCount: 1
      http20Enabled: true
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      appSettings: [
        {
          name: 'FUNCTIONS_EXTENSION_VERSION'
          value: '~4'
        }
        {
          name: 'FUNCTIONS_WORKER_RUNTIME'
          value: 'java'
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsightsConnectionString
        }
        {
          // The Java worker's Application Insights agent: requests and dependencies reach Application
          // Insights; the app's meters sit in Micrometer's global registry, where the agent looks for them.
          name: 'APPLICATIONINSIGHTS_ENABLE_AGENT'
          value: 'true'
        }
        {
          name: 'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING'
          value: storageConnection
        }
        {
          name: 'WEBSITE_CONTENTSHARE'
          value: toLower(name)
        }
        {
          name: 'AzureWebJobsStorage'
          value: storageConnection
        }
        {
          name: 'EVENTGRID_TOPIC_ENDPOINT'
          value: topic.properties.endpoint
        }
        {
          name: 'EVENTGRID_TOPIC_KEY'
          value: topic.listKeys().key1
        }
        {
          name: 'EVENTGRID_SCHEMA'
          value: 'EventGridEvent'
        }
        {
          name: 'REPLICA_PROVIDER'
          value: 'kubernetes'
        }
        {
          // The namespace infra/k8s/realtime-ai.yaml creates and grants the Role in.
          name: 'KUBERNETES_NAMESPACE'
          value: 'realtime-ai'
        }
        {
          // Base64 of the user kubeconfig: the app takes only the server and the CA from it
          // (with Entra ID integration it carries no credential) and signs in as itself.
          name: 'KUBERNETES_KUBECONFIG'
          value: cluster.listClusterUserCredential().kubeconfigs[0].value
        }
        {
          name: 'KUBERNETES_AUTH'
          value: 'managed-identity'
        }
        {
          name: 'KUBERNETES_RUNTIME_IMAGE'
          value: '${registryLoginServer}/realtime-ai-runtime:${runtimeImageTag}'
        }
        {
          name: 'KUBERNETES_GPU_NODE_SELECTOR'
          value: gpuNodeSelector
        }
        {
          name: 'KUBERNETES_GPU_TOLERATION'
          value: gpuToleration
        }
        {
          name: 'KUBERNETES_CPU_REQUEST'
          value: '1'
        }
        {
          name: 'KUBERNETES_MEMORY_REQUEST'
          value: '2Gi'
        }
        {
          name: 'KUBERNETES_RUNTIME_CLIENT_ID'
          value: runtimeClientId
        }
        {
          name: 'ACCELERATOR_QUOTA'
          value: string(acceleratorQuota)
        }
        {
          // A GPU node starts from zero: several minutes before the first pod is ready.
          name: 'DEPLOYMENT_TIMEOUT_SECONDS'
          value: '900'
        }
        {
          name: 'UPLOAD_PENDING_LIMIT_SECONDS'
          value: '300'
        }
        {
          name: 'UPLOAD_RECHECK_SECONDS'
          value: '5'
        }
        {
          name: 'MODEL_DOWNLOAD_MAX_MB'
          value: '4096'
        }
        {
          name: 'MODEL_DOWNLOAD_TIMEOUT_SECONDS'
          value: '300'
        }
        {
          name: 'SCORING_DEADLINE_SECONDS'
          value: '30'
        }
        {
          name: 'SCORING_BATCH_WINDOW_MS'
          value: '10'
        }
        {
          name: 'SCORING_MAX_BATCH'
          value: '16'
        }
        {
          // Table Storage has no time-to-live: results and events older than 90 days are deleted by the Retention timer.
          name: 'RETENTION_MINUTES'
          value: '129600'
        }
        {
          // Local disk of the instance (/home is the shared content file share).
          name: 'REALTIME_AI_WORK_DIR'
          value: '/tmp'
        }
      ]
    }
  }
}

output name string = app.name
output principalId string = app.identity.principalId
output defaultHostName string = app.properties.defaultHostName
