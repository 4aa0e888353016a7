/**
 * Seeing the system run: W3C trace context and Server-Timing values carried from the HTTP call
 * through the scoring function to the runtime and back, and the Prometheus registry and endpoint
 * both processes expose their metrics through.
 */
package io.realtimeai.telemetry;
