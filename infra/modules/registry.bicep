// The container registry the scoring runtime's image is pushed to (Jib) and pulled from (the
// cluster's kubelet identity, AcrPull). No admin user: pushes authenticate with `az acr login`.

@description('Azure region of the registry.')
param location string

@description('Name of the registry (5-50 letters and digits, globally unique).')
param name string

param tags object = {}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Basic'
  }
  properties: {
    adminUserEnabled: false
  }
}

output name string = registry.name
output loginServer string = registry.properties.loginServer
