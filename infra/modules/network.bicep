// The virtual network both compute parts share. The Function App calls the scoring pods on their
// pod IPs (the addresses the EndpointSlices list), so the cluster uses Azure CNI with pod IPs from
// the node subnet (not an overlay) and the Function App joins the same network by VNet integration.

@description('Azure region of the network.')
param location string

@description('Name of the virtual network.')
param name string

@description('Address space of the virtual network.')
param addressPrefix string = '10.10.0.0/16'

@description('Subnet of the AKS nodes and, with Azure CNI, of their pods.')
param aksSubnetPrefix string = '10.10.0.0/20'

@description('Subnet the Function App integrates with (delegated to Microsoft.Web/serverFarms).')
param functionsSubnetPrefix string = '10.10.16.0/24'

param tags object = {}

resource vnet 'Microsoft.Network/virtualNetworks@2023-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'aks'
        properties: {
          addressPrefix: aksSubnetPrefix
        }
      }
      {
        name: 'functions'
        properties: {
          addressPrefix: functionsSubnetPrefix
          delegations: [
            {
              name: 'serverFarms'
              properties: {
                serviceName: 'Microsoft.Web/serverFarms'
              }
            }
          ]
        }
      }
    ]
  }
}

output vnetName string = vnet.name
output aksSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'aks')
output functionsSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'functions')
