package io.realtimeai.host.triggers;

/**
 * What goes on {@code {queue}-poison} when a message failed {@code maxDequeueCount} times.
 *
 * <p>The Functions host copies only the message body to the poison queue; whoever finds it there
 * then has to dig through logs to learn why it failed. We wrap the body in this envelope instead,
 * so the poison queue alone says which function gave up on which message, when, and why.
 *
 * @param queue the queue the message came from
 * @param messageId its id there
 * @param dequeueCount how often it was dequeued
 * @param function the function that failed on it
 * @param reason the last failure's message (a function's exception, or why the message could not be bound)
 * @param failedAt when the last attempt failed, ISO-8601 UTC
 * @param body the original message text: base64-decoded as the function would have received it, or the
 *     wire text exactly as it was when that is not base64 of UTF-8 text ({@code bodyFormat} says which)
 * @param bodyFormat {@code text} (decoded) or {@code wire} (as it was on the queue)
 */
public record QueuePoisonMessage(
    String queue,
    String messageId,
    long dequeueCount,
    String function,
    String reason,
    String failedAt,
    String body,
    String bodyFormat) {}
