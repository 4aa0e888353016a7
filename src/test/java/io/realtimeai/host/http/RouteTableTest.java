package io.realtimeai.host.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which route a request reaches: prefix, precedence, methods, decoding. */
class RouteTableTest {
  private static RouteTable.Route<String> route(String function, String template, String... methods) {
    return new RouteTable.Route<>(function, RouteTemplate.parse(template), Set.of(methods), function);
  }

  private static RouteTable<String> table(String prefix, List<RouteTable.Route<String>> routes) {
    return new RouteTable<>(prefix, routes);
  }

  private static String target(RouteTable<String> table, String method, String path) {
    return table.resolve(method, path) instanceof RouteTable.Found<String> found ? found.route().target() : null;
  }

  @Test
  void resolve_servesRoutesUnderThePrefixOnly() {
    RouteTable<String> table = table("api", List.of(route("Health", "health", "GET")));
    assertThat(target(table, "GET", "/api/health")).isEqualTo("Health");
    assertThat(target(table, "GET", "/API/Health/")).isEqualTo("Health");
    assertThat(table.resolve("GET", "/health")).isInstanceOf(RouteTable.NotFound.class);
  }

  @Test
  void resolve_servesAtTheRootWithAnEmptyPrefix() {
    RouteTable<String> table = table("", List.of(route("Health", "health", "GET")));
    assertThat(target(table, "GET", "/health")).isEqualTo("Health");
    assertThat(table.resolve("GET", "/api/health")).isInstanceOf(RouteTable.NotFound.class);
  }

  @Test
  void resolve_acceptsAPrefixOfSeveralSegments() {
    RouteTable<String> table = table("/v1/api/", List.of(route("Health", "health")));
    assertThat(target(table, "GET", "/v1/api/health")).isEqualTo("Health");
    assertThat(table.path(RouteTemplate.parse("health"))).isEqualTo("/v1/api/health");
  }

  @Test
  void resolve_prefersLiteralOverParameterOverCatchAll() {
    RouteTable<String> table = table("api", List.of(
        route("CatchAll", "items/{*rest}", "GET"),
        route("ById", "items/{id}", "GET"),
        route("Special", "items/special", "GET")));
    assertThat(target(table, "GET", "/api/items/special")).isEqualTo("Special");
    assertThat(target(table, "GET", "/api/items/7")).isEqualTo("ById");
    assertThat(target(table, "GET", "/api/items/7/parts")).isEqualTo("CatchAll");
    assertThat(target(table, "GET", "/api/items")).isEqualTo("CatchAll");
  }

  @Test
  void resolve_prefersConstrainedParameterOverPlainOne() {
    RouteTable<String> table = table("api", List.of(route("ByName", "items/{name}"), route("ById", "items/{id:int}")));
    assertThat(target(table, "GET", "/api/items/12")).isEqualTo("ById");
    assertThat(target(table, "GET", "/api/items/twelve")).isEqualTo("ByName");
  }

  @Test
  void resolve_decidesAtTheFirstSegmentThatDiffers() {
    RouteTable<String> table = table("api", List.of(route("Deep", "{a}/b/c"), route("Shallow", "a/{b}/{c}")));
    assertThat(target(table, "GET", "/api/a/b/c")).isEqualTo("Shallow");
  }

  @Test
  void resolve_choosesAmongRoutesOfOneTemplateByMethod() {
    RouteTable<String> table = table("api", List.of(route("Get", "items/{id}", "GET"), route("Delete", "items/{id}", "DELETE")));
    assertThat(target(table, "DELETE", "/api/items/3")).isEqualTo("Delete");
    assertThat(target(table, "get", "/api/items/3")).isEqualTo("Get");
  }

  @Test
  void resolve_answersMethodNotAllowedWithEveryMethodTheMatchingRoutesTake() {
    RouteTable<String> table = table("api", List.of(route("Get", "items/{id}", "GET"), route("Delete", "items/{id}", "DELETE")));
    assertThat(table.resolve("PUT", "/api/items/3"))
        .isEqualTo(new RouteTable.MethodNotAllowed<String>(Set.of("DELETE", "GET")));
  }

  @Test
  void resolve_givesRoutesWithoutMethodsEveryMethod() {
    RouteTable<String> table = table("api", List.of(route("Any", "any")));
    assertThat(target(table, "PATCH", "/api/any")).isEqualTo("Any");
    assertThat(table.resolve("PROPFIND", "/api/any")).isInstanceOf(RouteTable.MethodNotAllowed.class);
  }

  @Test
  void resolve_decodesEachSegmentOnItsOwn() {
    RouteTable<String> table = table("api", List.of(route("ById", "items/{id}"), route("Files", "files/{*path}")));
    RouteTable.Found<?> item = (RouteTable.Found<?>) table.resolve("GET", "/api/items/a%20b%2Fc+d");
    assertThat(item.values()).isEqualTo(Map.of("id", "a b/c+d"));
    RouteTable.Found<?> file = (RouteTable.Found<?>) table.resolve("GET", "/api/files/dir/caf%C3%A9.txt");
    assertThat(file.values()).isEqualTo(Map.of("path", "dir/café.txt"));
  }

  @Test
  void table_refusesTwoFunctionsServingOneRouteAndMethod() {
    assertThatThrownBy(() -> table("api", List.of(route("A", "items/{id}", "GET", "POST"), route("B", "Items/{key}", "POST"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("functions A and B both serve [POST] /api/items/{id}");
  }
}
