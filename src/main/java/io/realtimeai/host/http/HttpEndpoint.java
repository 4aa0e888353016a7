package io.realtimeai.host.http;

import java.util.List;

/**
 * One HTTP function as the listener serves it, for printing the way Core Tools lists them at start
 * ({@code Health: [GET] http://localhost:7071/api/health}).
 *
 * @param function the function name
 * @param methods the methods it accepts, upper case; empty for every method
 * @param path its URL path template under the route prefix ({@code /api/models/{id}})
 */
public record HttpEndpoint(String function, List<String> methods, String path) {
  public HttpEndpoint {
    methods = List.copyOf(methods);
  }
}
