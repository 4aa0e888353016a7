// The app's storage account: every container, queue and table of DESIGN.md §3
// (io.realtimeai.storage.StorageLayout; InfraSettingsTest keeps the two lists equal). The app
// creates missing ones itself at start, so these declarations are for a reader and for the
// Event Grid sample subscription's queue, which the app does not know about.

@description('Azure region of the account.')
param location string

@description('Name of the storage account (3-24 lower-case letters and digits, globally unique).')
param name string

@description('Queue the Event Grid sample subscription delivers the app\'s events to.')
param eventsSampleQueue string = 'events-sample'

param tags object = {}

var containers = [
  'model-uploads'
  'models'
  'accelerated-models'
  'images'
  'results'
  'azure-webjobs-hosts'
]

var queues = [
  'deployments'
  'deployments-poison'
  'scoring'
  'scoring-poison'
  'uploads'
  'uploads-poison'
  'webjobs-blobtrigger-poison'
]

var tables = [
  'models'
  'services'
  'operations'
  'results'
  'events'
  'uploads'
  'acceleratedmodels'
]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    // Key-based: the app's Storage.connect takes a connection string, and the pods read packages
    // with the same connection (passed in each service's Secret).
    allowSharedKeyAccess: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource blobContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for container in containers: {
  parent: blobService
  name: container
  properties: {
    publicAccess: 'None'
  }
}]

resource appQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for queue in concat(queues, [eventsSampleQueue]): {
  parent: queueService
  name: queue
}]

resource appTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for table in tables: {
  parent: tableService
  name: table
}]

output name string = account.name
output id string = account.id
output eventsSampleQueue string = eventsSampleQueue
