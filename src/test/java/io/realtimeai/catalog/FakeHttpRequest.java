package io.realtimeai.catalog;

import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatus;
import com.microsoft.azure.functions.HttpStatusType;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A minimal, faithful {@link HttpRequestMessage}: the query parameters of a URI, decoded, and
 * responses built as the Java worker builds them, so that a test can call a function directly.
 */
final class FakeHttpRequest implements HttpRequestMessage<Optional<String>> {
  private final URI uri;
  private final HttpMethod method;
  private final Map<String, String> query = new LinkedHashMap<>();

  private FakeHttpRequest(HttpMethod method, URI uri) {
    this.method = method;
    this.uri = uri;
    String raw = uri.getRawQuery();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int equals = pair.indexOf('=');
        String name = equals < 0 ? pair : pair.substring(0, equals);
        String value = equals < 0 ? "" : pair.substring(equals + 1);
        query.put(URLDecoder.decode(name, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
      }
    }
  }

  /** {@code GET http://localhost:7071{pathAndQuery}}. */
  static FakeHttpRequest get(String pathAndQuery) {
    return new FakeHttpRequest(HttpMethod.GET, URI.create("http://localhost:7071" + pathAndQuery));
  }

  @Override
  public URI getUri() {
    return uri;
  }

  @Override
  public HttpMethod getHttpMethod() {
    return method;
  }

  @Override
  public Map<String, String> getHeaders() {
    return Map.of();
  }

  @Override
  public Map<String, String> getQueryParameters() {
    return Map.copyOf(query);
  }

  @Override
  public Optional<String> getBody() {
    return Optional.empty();
  }

  @Override
  public HttpResponseMessage.Builder createResponseBuilder(HttpStatus status) {
    return new ResponseBuilder(status);
  }

  @Override
  public HttpResponseMessage.Builder createResponseBuilder(HttpStatusType status) {
    return new ResponseBuilder(status);
  }

  /** A built response. */
  record Response(HttpStatusType status, Map<String, String> headers, Object body) implements HttpResponseMessage {
    @Override
    public HttpStatusType getStatus() {
      return status;
    }

    @Override
    public String getHeader(String name) {
      return headers.get(name);
    }

    @Override
    public Object getBody() {
      return body;
    }
  }

  private static final class ResponseBuilder implements HttpResponseMessage.Builder {
    private HttpStatusType status;
    private final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    private Object body;

    ResponseBuilder(HttpStatusType status) {
      this.status = status;
    }

    @Override
    public HttpResponseMessage.Builder status(HttpStatusType newStatus) {
      status = newStatus;
      return this;
    }

    @Override
    public HttpResponseMessage.Builder header(String name, String value) {
      headers.put(name, value);
      return this;
    }

    @Override
    public HttpResponseMessage.Builder body(Object newBody) {
      body = newBody;
      return this;
    }

    @Override
    public HttpResponseMessage build() {
      return new Response(status, headers, body);
    }
  }
}
