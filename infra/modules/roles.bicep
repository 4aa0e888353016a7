// Azure role assignments between the parts, each named with guid() of scope, principal and role so
// that a redeployment finds the same assignment.
//   Function App identity -> storage: blob, queue and table data roles (ready for identity-based
//     connections; today the app uses the key-based connection string, see Deploy to Azure in README.md).
//   kubelet identity -> registry: AcrPull (nodes pull the runtime image).
//   kubelet identity -> storage: Storage Blob Data Reader (pods read packages with it,
//     KUBERNETES_RUNTIME_CLIENT_ID; with that set they get no account key).
// Function App identity -> the cluster's namespace is a Kubernetes RoleBinding (infra/k8s), not an
// Azure role: the cluster uses Kubernetes RBAC.

param storageAccountName string
param registryName string
param functionPrincipalId string
param kubeletObjectId string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var storageBlobDataReader = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
var acrPull = '7f951dda-4ed3-4680-a7ca-43fe172d538d'

resource functionStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in [
  storageBlobDataOwner
  storageQueueDataContributor
  storageTableDataContributor
]: {
  name: guid(storage.id, functionPrincipalId, role)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource kubeletPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, kubeletObjectId, acrPull)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPull)
    principalId: kubeletObjectId
    principalType: 'ServicePrincipal'
  }
}

resource kubeletPackages 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, kubeletObjectId, storageBlobDataReader)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataReader)
    principalId: kubeletObjectId
    principalType: 'ServicePrincipal'
  }
}
