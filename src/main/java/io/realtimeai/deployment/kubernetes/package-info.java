/**
 * Replicas as Kubernetes pods ({@code REPLICA_PROVIDER=kubernetes}): per service a Deployment of
 * runtime pods, a Secret and a Service, through the fabric8 client.
 */
package io.realtimeai.deployment.kubernetes;
