package io.realtimeai.functions;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatusType;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import io.realtimeai.console.ConsoleFiles;
import java.util.Optional;

/** {@code GET /api/console/{path}}: the web console's files; {@code /api/console} redirects to {@code /api/console/}. */
public final class ConsoleFunction {
  /** What the page may load and call: only this app, no inline script, images also from the files a user picks. */
  static final String CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' blob: data:; "
      + "style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

  /** Serves one file of the console, 304 when the client's copy is current. */
  @FunctionName("Console")
  public HttpResponseMessage get(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET, HttpMethod.HEAD}, route = "console/{*path}",
          authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
      @BindingName("path") String path,
      ExecutionContext context) {
    return Http.handle(request, context, () -> {
      boolean folder = path == null || path.isEmpty();
      if (folder && !request.getUri().getPath().endsWith("/")) {
        // the page's links are relative to the folder, so it is only ever served as console/
        return request.createResponseBuilder(HttpStatusType.custom(302)).header("Location", "console/").build();
      }
      ConsoleFiles.File file = ConsoleFiles.bundled().find(path);
      // no-cache: browsers keep the file but ask again each time, so a new build is seen at once (304 otherwise)
      HttpResponseMessage.Builder response = request.createResponseBuilder(HttpStatusType.custom(200))
          .header("Content-Type", file.contentType())
          .header("Cache-Control", "no-cache")
          .header("ETag", file.etag())
          .header("X-Content-Type-Options", "nosniff")
          .header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
      if (file.matches(request.getHeaders().get("if-none-match"))) {
        return response.status(HttpStatusType.custom(304)).build();
      }
      return response.body(file.bytes()).build();
    });
  }
}
