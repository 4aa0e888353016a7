/**
 * The local host's non-HTTP triggers, with the Functions host's semantics over real Azure Storage:
 * {@link io.realtimeai.host.triggers.BlobTriggerListener} (container scans, blob receipts, poison
 * blobs), {@link io.realtimeai.host.triggers.QueueTriggerListener} (batches, dequeue counts,
 * {@code -poison} queues) and {@link io.realtimeai.host.triggers.TimerTriggerListener} (NCRONTAB
 * schedules). {@link io.realtimeai.host.triggers.TriggerListeners} picks the one a function needs.
 */
package io.realtimeai.host.triggers;
