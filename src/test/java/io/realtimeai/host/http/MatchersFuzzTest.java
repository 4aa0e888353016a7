package io.realtimeai.host.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.realtimeai.host.triggers.BlobPathPattern;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Fuzz target: the local host's route and blob path matchers. The app's own routes resolve any raw
 * request path to a route, 404 or 405; a fuzzed route template or blob trigger path parses or is an
 * {@link IllegalArgumentException} naming the problem, and then matches any path without throwing.
 *
 * <p>A fuzzed template never declares a {@code regex(…)} constraint. Its argument is a regular
 * expression the app's author writes in {@code @HttpTrigger(route = …)}, compiled as written (as
 * ASP.NET does), so a fuzzed one fuzzes only {@code java.util.regex}; and Jazzer's regex-injection
 * detector reports every {@code PatternSyntaxException} out of {@code Pattern.compile}, even the
 * ones the host turns into the {@link IllegalArgumentException} this target expects
 * ({@code RouteTemplateTest.parse_refusesRegexConstraintThatDoesNotCompileNamingTemplateAndReason}).
 * Fuzzed request paths still meet a regex constraint: the app's {@code codes/{code:regex(…)}} route.
 */
class MatchersFuzzTest {
  // The app's routes (its @HttpTrigger routes, then a few with constraints) and blob trigger paths.
  private static final List<String> ROUTES = List.of("accelerated-models", "accelerated-models/{ref}/{version}",
      "console/{*path}", "events", "health", "models", "models/{id}", "operations/{id}", "results",
      "results/{service}/{*path}", "services", "services/{id}", "services/{id}/keys", "services/{id}/regenerateKeys",
      "services/{id}/score", "uploads/{name}", "items/{id:int:min(1)?}", "files/{name:alpha:minlength(2)}", "pages/{page=1}",
      "codes/{code:regex(^(ab|cd)\\d{{2}}$)}");
  private static final List<String> BLOB_PATHS = List.of("accelerated-models/{ref}/{version}/model.onnx",
      "images/{name}", "model-uploads/{blobName}", "samples/{{literal}}/{name}.{ext}");
  private static final RouteTable<String> TABLE = new RouteTable<>("api", ROUTES.stream()
      .map(r -> new RouteTable.Route<>(r, RouteTemplate.parse(r), Set.of("GET", "POST"), r)).toList());
  private static final List<BlobPathPattern> PATTERNS = BLOB_PATHS.stream().map(BlobPathPattern::parse).toList();

  @FuzzTest(maxDuration = "10m")
  void match(FuzzedDataProvider data) {
    String template = data.consumeString(80);
    String blobPath = data.consumeString(80);
    String path = data.consumeRemainingAsString();

    assertThat(TABLE.resolve("GET", path)).isNotNull();
    PATTERNS.forEach(pattern -> pattern.match(path));
    List<String> segments = Arrays.asList(path.split("/", -1));
    if (!declaresRegexConstraint(template)) {
      try {
        RouteTemplate.parse(template).match(segments);
      } catch (IllegalArgumentException e) {
        assertThat(e.getMessage()).isNotBlank();
      }
    }
    try {
      BlobPathPattern.parse(blobPath).match(path);
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
  }

  /** Whether {@code template} may have a {@code regex} constraint (constraint names ignore case). */
  private static boolean declaresRegexConstraint(String template) {
    return template.toLowerCase(Locale.ROOT).contains(":regex");
  }
}
