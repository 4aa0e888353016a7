package io.realtimeai.host.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Parsing and matching of route templates, constraint by constraint. */
class RouteTemplateTest {
  private static Optional<Map<String, String>> match(String template, String path) {
    List<String> segments = path.isEmpty() ? List.of() : Arrays.asList(path.split("/", -1));
    return RouteTemplate.parse(template).match(segments);
  }

  private static boolean matches(String template, String path) {
    return match(template, path).isPresent();
  }

  @Test
  void route_matchesLiteralsIgnoringCase() {
    assertThat(match("Models/List", "models/LIST")).contains(Map.of());
    assertThat(matches("models/list", "models")).isFalse();
    assertThat(matches("models", "models/list")).isFalse();
  }

  @Test
  void route_ignoresLeadingAndTrailingSlashesOfTheTemplate() {
    assertThat(RouteTemplate.parse("/items/{id}/").text()).isEqualTo("items/{id}");
    assertThat(matches("/items/{id}/", "items/3")).isTrue();
  }

  @Test
  void route_bindsParameters() {
    assertThat(match("services/{name}/score", "services/resnet/score")).contains(Map.of("name", "resnet"));
    assertThat(matches("services/{name}/score", "services//score")).isFalse();
  }

  @Test
  void route_matchesIntConstraint() {
    assertThat(match("items/{id:int}", "items/42")).contains(Map.of("id", "42"));
    assertThat(matches("items/{id:int}", "items/-7")).isTrue();
    assertThat(matches("items/{id:int}", "items/abc")).isFalse();
    assertThat(matches("items/{id:int}", "items/2147483648")).isFalse();
    assertThat(matches("items/{id:int}", "items/4.5")).isFalse();
  }

  @Test
  void route_optionalIntMayBeAbsentButNotMalformed() {
    assertThat(match("items/{id:int?}", "items/5")).contains(Map.of("id", "5"));
    assertThat(match("items/{id:int?}", "items")).contains(Map.of());
    assertThat(matches("items/{id:int?}", "items/five")).isFalse();
  }

  @Test
  void route_defaultValueFillsAnAbsentParameter() {
    assertThat(match("pages/{n:int=1}", "pages")).contains(Map.of("n", "1"));
    assertThat(match("pages/{n:int=1}", "pages/3")).contains(Map.of("n", "3"));
  }

  @Test
  void route_matchesLongBoolAlphaAndDoubleConstraints() {
    assertThat(matches("{n:long}", "9223372036854775807")).isTrue();
    assertThat(matches("{n:long}", "9223372036854775808")).isFalse();
    assertThat(matches("{flag:bool}", "TRUE")).isTrue();
    assertThat(matches("{flag:bool}", "yes")).isFalse();
    assertThat(matches("{x:alpha}", "abcXYZ")).isTrue();
    assertThat(matches("{x:alpha}", "abc1")).isFalse();
    assertThat(matches("{d:double}", "3.25")).isTrue();
    assertThat(matches("{d:double}", "-1e-3")).isTrue();
    assertThat(matches("{d:double}", "three")).isFalse();
  }

  @Test
  void route_matchesGuidInEveryDotNetFormat() {
    assertThat(matches("{g:guid}", "0f8fad5b-d9cb-469f-a165-70867728950e")).isTrue();
    assertThat(matches("{g:guid}", "0F8FAD5BD9CB469FA16570867728950E")).isTrue();
    assertThat(matches("{g:guid}", "{0f8fad5b-d9cb-469f-a165-70867728950e}")).isTrue();
    assertThat(matches("{g:guid}", "0f8fad5b-d9cb-469f-a165")).isFalse();
    assertThat(matches("{g:guid}", "0f8fad5b-d9cb-469f-a165-70867728950g")).isFalse();
  }

  @Test
  void route_matchesLengthConstraints() {
    assertThat(matches("{s:minlength(3)}", "abc")).isTrue();
    assertThat(matches("{s:minlength(3)}", "ab")).isFalse();
    assertThat(matches("{s:maxlength(3)}", "abcd")).isFalse();
    assertThat(matches("{s:length(2)}", "ab")).isTrue();
    assertThat(matches("{s:length(2)}", "abc")).isFalse();
    assertThat(matches("{s:length(2,4)}", "abcd")).isTrue();
    assertThat(matches("{s:length(2,4)}", "abcde")).isFalse();
  }

  @Test
  void route_chainsConstraintsAndRanges() {
    assertThat(matches("{n:int:min(1)}", "0")).isFalse();
    assertThat(matches("{n:int:min(1)}", "1")).isTrue();
    assertThat(matches("{n:range(1,10)}", "10")).isTrue();
    assertThat(matches("{n:range(1,10)}", "11")).isFalse();
  }

  @Test
  void route_regexConstraintMayHoldSlashesParenthesesAndEscapedBraces() {
    assertThat(matches("codes/{c:regex(^(ab|cd)\\d{{2}}$)}", "codes/ab12")).isTrue();
    assertThat(matches("codes/{c:regex(^(ab|cd)\\d{{2}}$)}", "codes/ab123")).isFalse();
  }

  @Test
  void route_matchesRegexCharactersInLiteralsAsThemselves() {
    assertThat(matches("v1.0+(a)/{id}", "v1.0+(a)/x")).isTrue();
    assertThat(matches("v1.0+(a)/{id}", "v1x0+(a)/x")).isFalse();
    assertThat(matches("v1.0+(a)/{id}", "v1.00+(a)/x")).isFalse();
  }

  @Test
  void parse_refusesRegexConstraintThatDoesNotCompileNamingTemplateAndReason() {
    // the inputs of MatchersFuzzTest's regex-injection reports: the pattern is the app author's, refused at start
    assertThatThrownBy(() -> RouteTemplate.parse("a/{id:regex(*[a-z]+$)}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("route 'a/{id:regex(*[a-z]+$)}': route constraint 'regex(*[a-z]+$)': Dangling meta character '*'");
    assertThatThrownBy(() -> RouteTemplate.parse("serva/{id:regex(^[a-$)}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("route 'serva/{id:regex(^[a-$)}': route constraint 'regex(^[a-$)': Illegal character range");
  }

  @Test
  void route_catchAllTakesTheRestWithSlashesOrNothing() {
    assertThat(match("files/{*path}", "files/a/b/c.txt")).contains(Map.of("path", "a/b/c.txt"));
    assertThat(match("files/{**path}", "files/a/b")).contains(Map.of("path", "a/b"));
    assertThat(match("files/{*path}", "files")).contains(Map.of());
    assertThat(matches("files/{*path}", "other/a")).isFalse();
  }

  @Test
  void ranks_orderLiteralsBeforeConstrainedBeforePlainBeforeCatchAll() {
    assertThat(RouteTemplate.parse("a/{b:int}/{c}/{*d}").ranks()).containsExactly(0, 1, 2, 3);
  }

  @Test
  void shape_ignoresParameterNamesAndLiteralCase() {
    assertThat(RouteTemplate.parse("Items/{id:int}").shape()).isEqualTo(RouteTemplate.parse("items/{key:INT}").shape());
    assertThat(RouteTemplate.parse("items/{id}").shape()).isNotEqualTo(RouteTemplate.parse("items/{id:int}").shape());
  }

  @Test
  void parse_refusesUnknownConstraint() {
    assertThatThrownBy(() -> RouteTemplate.parse("items/{id:integer}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("items/{id:integer}").hasMessageContaining("unknown route constraint 'integer'");
  }

  @Test
  void parse_refusesMalformedTemplates() {
    assertThatThrownBy(() -> RouteTemplate.parse("files/{*path}/more")).hasMessageContaining("must be the last segment");
    assertThatThrownBy(() -> RouteTemplate.parse("items/{id")).hasMessageContaining("not closed");
    assertThatThrownBy(() -> RouteTemplate.parse("a/{x}/{X}")).hasMessageContaining("appears twice");
    assertThatThrownBy(() -> RouteTemplate.parse("a//b")).hasMessageContaining("empty segment");
    assertThatThrownBy(() -> RouteTemplate.parse("{s:minlength}")).hasMessageContaining("needs 1 integer argument");
    assertThatThrownBy(() -> RouteTemplate.parse("{s:int(3)}")).hasMessageContaining("takes no argument");
    assertThatThrownBy(() -> RouteTemplate.parse("{*rest?}")).hasMessageContaining("cannot be marked optional");
  }

  @Test
  void parse_refusesSegmentsMixingTextAndParameters() {
    assertThatThrownBy(() -> RouteTemplate.parse("files/{name}.{ext}"))
        .hasMessageContaining("'{name}.{ext}' mixes literal text and parameters");
  }
}
