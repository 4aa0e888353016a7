package io.realtimeai.host.http;

import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatus;
import com.microsoft.azure.functions.HttpStatusType;
import java.net.URI;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@link HttpRequestMessage} a function receives from the local host: the full URL, the method,
 * headers under lower-case names (as the Java worker gives them; lookups ignore case), decoded query
 * parameters, and the body already converted to the function's {@code T}.
 *
 * @param uri the full request URL
 * @param httpMethod the method
 * @param headers lower-case header name → value (repeated headers joined with commas)
 * @param queryParameters decoded query parameters (repeated ones joined with commas)
 * @param body the body as the function's parameter type declares it
 * @param <T> that type
 */
record LocalHttpRequest<T>(URI uri, HttpMethod httpMethod, Map<String, String> headers,
    Map<String, String> queryParameters, T body) implements HttpRequestMessage<T> {
  LocalHttpRequest {
    headers = Collections.unmodifiableMap(caseInsensitive(headers));
    queryParameters = Collections.unmodifiableMap(caseInsensitive(queryParameters));
  }

  @Override
  public URI getUri() {
    return uri;
  }

  @Override
  public HttpMethod getHttpMethod() {
    return httpMethod;
  }

  @Override
  public Map<String, String> getHeaders() {
    return headers;
  }

  @Override
  public Map<String, String> getQueryParameters() {
    return queryParameters;
  }

  @Override
  public T getBody() {
    return body;
  }

  @Override
  public HttpResponseMessage.Builder createResponseBuilder(HttpStatus status) {
    return new LocalHttpResponse.Builder().status(status);
  }

  @Override
  public HttpResponseMessage.Builder createResponseBuilder(HttpStatusType status) {
    return new LocalHttpResponse.Builder().status(status);
  }

  private static Map<String, String> caseInsensitive(Map<String, String> map) {
    Map<String, String> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    copy.putAll(map);
    return copy;
  }
}
