package io.realtimeai.functions;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import io.realtimeai.app.App;
import io.realtimeai.error.BadRequestException;
import io.realtimeai.scoring.HttpScoring;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code POST /api/services/{id}/score?top=&persist=}: scores the images of the body (a raw image,
 * multipart file parts, or JSON base64) on a service, by id or name, and answers
 * {@code {id, service, modelId, predictions | outputs, timings}}.
 */
public final class ScoreFunction {
  /** Scores the body's images; {@code top} (1–100, default 5) classes each; {@code persist=false} writes nothing. */
  @FunctionName("Score")
  public HttpResponseMessage score(
      // binary: the worker hands the body over as it came, whatever its Content-Type
      @HttpTrigger(name = "request", methods = {HttpMethod.POST}, route = "services/{id}/score", dataType = "binary",
          authLevel = AuthorizationLevel.FUNCTION) HttpRequestMessage<Optional<byte[]>> request,
      @BindingName("id") String id,
      ExecutionContext context) {
    return Http.handle(request, context, () -> {
      HttpScoring.Options options = new HttpScoring.Options(Http.intParameter(request, "top", 5, 1, 100), persist(request));
      App app = App.get();
      return Http.json(request, 200, new HttpScoring(app.connections(), app.results())
          .score(id, request.getHeaders().get("content-type"), request.getBody().orElse(null), options));
    });
  }

  private static boolean persist(HttpRequestMessage<?> request) {
    String value = request.getQueryParameters().get("persist");
    if (value == null || value.isBlank()) {
      return true;
    }
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new BadRequestException("persist: must be true or false, got '" + value + "'");
    };
  }
}
