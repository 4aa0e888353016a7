using 'main.bicep'

// The region needs quota for Standard_NC4as_T4_v3 (family "Standard NCASv3_T4"): check with
// `az vm list-usage --location <region> -o table` before deploying. Resources go to the resource
// group's region unless `location` is set here.
param baseName = 'realtimeai'
param runtimeImageTag = '0.1.0'
param gpuMaxCount = 2
param adminGroupObjectIds = []
