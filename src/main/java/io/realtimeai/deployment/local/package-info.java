/**
 * Replicas as local processes (DESIGN §1: "scoring replicas run … as local processes on one
 * machine"): {@link io.realtimeai.deployment.local.LocalReplicaProvider} runs one
 * {@code realtime-ai runtime} per replica, each in its own folder under a state directory, and
 * finds them again after its host restarts.
 */
package io.realtimeai.deployment.local;
