package io.realtimeai.host.http;

import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatus;
import com.microsoft.azure.functions.HttpStatusType;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The {@link HttpResponseMessage} a function builds with {@code request.createResponseBuilder(…)}.
 *
 * @param status the status
 * @param headers header name → value, looked up ignoring case
 * @param body what the function set: a {@code String}, {@code byte[]}, any other object (written as JSON), or null
 */
record LocalHttpResponse(HttpStatusType status, Map<String, String> headers, Object body) implements HttpResponseMessage {
  LocalHttpResponse {
    Objects.requireNonNull(status, "status");
    Map<String, String> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    copy.putAll(headers);
    headers = Collections.unmodifiableMap(copy);
  }

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

  /** The builder behind {@code createResponseBuilder}; a later {@code header} with the same name replaces the earlier. */
  static final class Builder implements HttpResponseMessage.Builder {
    private HttpStatusType status = HttpStatus.OK;
    private final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    private Object body;

    @Override
    public Builder status(HttpStatusType status) {
      this.status = Objects.requireNonNull(status, "status");
      return this;
    }

    @Override
    public Builder header(String name, String value) {
      headers.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    @Override
    public Builder body(Object body) {
      this.body = body;
      return this;
    }

    @Override
    public LocalHttpResponse build() {
      return new LocalHttpResponse(status, headers, body);
    }
  }
}
