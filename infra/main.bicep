// realtime-ai in one resource group: storage, the Function App (Linux, Java 17, Elastic Premium),
// Application Insights, an Event Grid custom topic with a sample subscription, AKS with a GPU pool,
// a container registry, and the role assignments between them. "Deploy to Azure" in README.md walks through
// deploying it; infra/k8s/realtime-ai.yaml is what goes into the cluster afterwards.
targetScope = 'resourceGroup'

@description('Azure region of every resource (one with NCasT4_v3 quota for the GPU pool).')
param location string = resourceGroup().location

@description('Short name the resource names are made from.')
@maxLength(10)
param baseName string = 'realtimeai'

@description('Tag of the runtime image in the registry: realtime-ai-runtime:<tag>.')
param runtimeImageTag string = '0.1.0'

@description('Most GPU nodes (one T4 each), and so most GPU replicas in all.')
param gpuMaxCount int = 2

@description('Microsoft Entra group object ids made cluster admins; empty keeps local accounts (kubectl via --admin).')
param adminGroupObjectIds array = []

param tags object = {
  app: 'realtime-ai'
}

var suffix = uniqueString(resourceGroup().id)
var gpuTaint = 'sku=gpu:NoSchedule'
var gpuLabelKey = 'accelerator'
var gpuLabelValue = 'nvidia'

module network 'modules/network.bicep' = {
  name: 'network'
  params: {
    location: location
    name: 'vnet-${baseName}'
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    name: take('st${baseName}${suffix}', 24)
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    name: '${baseName}-${suffix}'
    tags: tags
  }
}

module eventGrid 'modules/eventgrid.bicep' = {
  name: 'eventgrid'
  params: {
    location: location
    name: 'evgt-${baseName}-${suffix}'
    storageAccountId: storage.outputs.id
    queueName: storage.outputs.eventsSampleQueue
    tags: tags
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  params: {
    location: location
    name: take('acr${baseName}${suffix}', 50)
    tags: tags
  }
}

module aks 'modules/aks.bicep' = {
  name: 'aks'
  params: {
    location: location
    name: 'aks-${baseName}'
    vnetName: network.outputs.vnetName
    subnetId: network.outputs.aksSubnetId
    gpuMaxCount: gpuMaxCount
    gpuTaint: gpuTaint
    gpuLabel: {
      '${gpuLabelKey}': gpuLabelValue
    }
    adminGroupObjectIds: adminGroupObjectIds
    tags: tags
  }
}

module functions 'modules/functions.bicep' = {
  name: 'functions'
  params: {
    location: location
    name: 'func-${baseName}-${suffix}'
    storageAccountName: storage.outputs.name
    subnetId: network.outputs.functionsSubnetId
    appInsightsConnectionString: monitoring.outputs.connectionString
    eventGridTopicName: eventGrid.outputs.name
    clusterName: aks.outputs.name
    registryLoginServer: registry.outputs.loginServer
    runtimeImageTag: runtimeImageTag
    runtimeClientId: aks.outputs.kubeletClientId
    gpuNodeSelector: '${gpuLabelKey}=${gpuLabelValue}'
    gpuToleration: gpuTaint
    acceleratorQuota: gpuMaxCount
    tags: tags
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    storageAccountName: storage.outputs.name
    registryName: registry.outputs.name
    functionPrincipalId: functions.outputs.principalId
    kubeletObjectId: aks.outputs.kubeletObjectId
  }
}

output functionAppName string = functions.outputs.name
output functionAppHostName string = functions.outputs.defaultHostName
@description('Object id of the Function App\'s identity: the User the RoleBinding in infra/k8s names.')
output functionAppPrincipalId string = functions.outputs.principalId
output storageAccountName string = storage.outputs.name
output eventsSampleQueue string = storage.outputs.eventsSampleQueue
output registryName string = registry.outputs.name
output registryLoginServer string = registry.outputs.loginServer
output clusterName string = aks.outputs.name
output eventGridTopicName string = eventGrid.outputs.name
