// Application Insights for the Function App, on a Log Analytics workspace (workspace-based: the
// classic kind is retired).

@description('Azure region of the workspace and the component.')
param location string

@description('Name prefix of the workspace and the Application Insights component.')
param name string

param tags object = {}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${name}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${name}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
  }
}

output connectionString string = insights.properties.ConnectionString
output workspaceId string = workspace.id
