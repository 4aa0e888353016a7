// The cluster the scoring replicas run on: a small system pool and a GPU user pool that scales from
// zero. Microsoft Entra ID integration with Kubernetes RBAC (not Azure RBAC): the Function App's
// managed identity gets a Role in one namespace through a RoleBinding (infra/k8s/realtime-ai.yaml),
// nothing cluster-wide.

@description('Azure region of the cluster.')
param location string

@description('Name of the cluster.')
param name string

@description('Name of the virtual network holding the node subnet.')
param vnetName string

@description('Resource id of the node (and, with Azure CNI, pod) subnet.')
param subnetId string

@description('VM size of the system pool.')
param systemVmSize string = 'Standard_D4ds_v5'

@description('VM size of the GPU pool: one NVIDIA T4 per node.')
param gpuVmSize string = 'Standard_NC4as_T4_v3'

@description('Most GPU nodes the autoscaler may start.')
param gpuMaxCount int = 2

@description('Taint of the GPU nodes: only pods that tolerate it land there (key=value:Effect).')
param gpuTaint string = 'sku=gpu:NoSchedule'

@description('Label of the GPU nodes, which GPU pods select (a key and a value).')
param gpuLabel object = {
  accelerator: 'nvidia'
}

@description('Microsoft Entra group object ids that are cluster admins; empty keeps local accounts for `az aks get-credentials --admin`.')
param adminGroupObjectIds array = []

param tags object = {}

// A user-assigned control-plane identity, so that its Network Contributor role on the VNet exists
// before the cluster is created (a system-assigned one would only exist afterwards).
resource controlPlane 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${name}'
  location: location
  tags: tags
}

resource vnet 'Microsoft.Network/virtualNetworks@2023-11-01' existing = {
  name: vnetName
}

var networkContributor = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4d97b98b-1d4f-4787-a291-c67834d212e7')

resource controlPlaneOnVnet 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vnet.id, controlPlane.id, networkContributor)
  scope: vnet
  properties: {
    roleDefinitionId: networkContributor
    principalId: controlPlane.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource cluster 'Microsoft.ContainerService/managedClusters@2024-02-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Base'
    tier: 'Free'
  }
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${controlPlane.id}': {}
    }
  }
  dependsOn: [
    controlPlaneOnVnet
  ]
  properties: {
    dnsPrefix: name
    enableRBAC: true
    aadProfile: {
      managed: true
      enableAzureRBAC: false
      adminGroupObjectIDs: adminGroupObjectIds
    }
    disableLocalAccounts: !empty(adminGroupObjectIds)
    networkProfile: {
      // Azure CNI, pod IPs from the node subnet: the Function App reaches pods directly.
      networkPlugin: 'azure'
      serviceCidr: '10.0.0.0/16'
      dnsServiceIP: '10.0.0.10'
      loadBalancerSku: 'standard'
      outboundType: 'loadBalancer'
    }
    agentPoolProfiles: [
      {
        name: 'system'
        mode: 'System'
        type: 'VirtualMachineScaleSets'
        osType: 'Linux'
        vmSize: systemVmSize
        count: 1
        enableAutoScaling: true
        minCount: 1
        maxCount: 3
        maxPods: 50
        vnetSubnetID: subnetId
      }
      {
        name: 'gpu'
        mode: 'User'
        type: 'VirtualMachineScaleSets'
        osType: 'Linux'
        vmSize: gpuVmSize
        // From zero: a GPU service waits for a node (minutes), hence DEPLOYMENT_TIMEOUT_SECONDS=900.
        count: 0
        enableAutoScaling: true
        minCount: 0
        maxCount: gpuMaxCount
        maxPods: 30
        vnetSubnetID: subnetId
        nodeTaints: [
          gpuTaint
        ]
        nodeLabels: gpuLabel
      }
    ]
  }
}

output name string = cluster.name
output kubeletObjectId string = cluster.properties.identityProfile.kubeletidentity.objectId
output kubeletClientId string = cluster.properties.identityProfile.kubeletidentity.clientId
