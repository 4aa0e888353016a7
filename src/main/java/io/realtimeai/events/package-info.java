/**
 * Events (DESIGN §6): every state change is written to the {@code events} outbox table in the
 * same step as the change ({@link io.realtimeai.events.EventOutbox}), then sent to an Event Grid
 * topic by {@link io.realtimeai.events.EventRelay} with the real {@code EventGridPublisherClient}
 * ({@link io.realtimeai.events.EventPublisher}); an event that cannot be sent stays pending and is
 * retried, never dropped. Delivery is at-least-once with stable event ids.
 */
package io.realtimeai.events;
