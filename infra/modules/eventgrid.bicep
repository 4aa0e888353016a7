// The Event Grid custom topic the app publishes to (EventGridEvent schema, key authentication as
// the app's EventGridTopic expects), and a sample subscription that drops every event into a
// storage queue, where `az storage message peek` shows them.

@description('Azure region of the topic.')
param location string

@description('Name of the custom topic.')
param name string

@description('Storage account holding the sample subscription\'s queue.')
param storageAccountId string

@description('Queue the sample subscription delivers to.')
param queueName string

param tags object = {}

resource topic 'Microsoft.EventGrid/topics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    inputSchema: 'EventGridSchema'
    publicNetworkAccess: 'Enabled'
  }
}

resource sample 'Microsoft.EventGrid/topics/eventSubscriptions@2022-06-15' = {
  parent: topic
  name: 'sample-to-queue'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'StorageQueue'
      properties: {
        resourceId: storageAccountId
        queueName: queueName
        queueMessageTimeToLiveInSeconds: 604800
      }
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output name string = topic.name
output endpoint string = topic.properties.endpoint
