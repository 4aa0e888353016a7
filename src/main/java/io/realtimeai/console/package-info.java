/**
 * The web console (DESIGN §11): static HTML, CSS and JavaScript packaged in the app under
 * {@code console/} and served by one HTTP function; the page itself speaks only the app's REST API.
 */
package io.realtimeai.console;
