package io.realtimeai.host.http;

import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import java.net.URI;
import java.util.Map;
import java.util.Optional;

/** Requests as the local host builds them, for tests that call a function method directly. */
public final class HttpRequests {
  private HttpRequests() {}

  /** {@code GET http://localhost:7071{pathAndQuery}}, its query decoded as the host decodes it, with no body. */
  public static HttpRequestMessage<Optional<String>> get(String pathAndQuery) {
    URI uri = URI.create("http://localhost:7071" + pathAndQuery);
    return new LocalHttpRequest<>(uri, HttpMethod.GET, Map.of(), UrlCoding.parseQuery(uri.getRawQuery()), Optional.empty());
  }
}
