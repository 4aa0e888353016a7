package io.realtimeai.host.http;

import com.microsoft.azure.functions.HttpMethod;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The HTTP routes of an app under its route prefix, and which one a request reaches.
 *
 * <p>Precedence, as ASP.NET Core routing orders the Functions host's routes: the templates are
 * compared segment by segment from the left, and at the first segment where they differ a literal
 * beats a constrained parameter, which beats a plain parameter, which beats a catch-all; a template
 * that ends where the other goes on (equal so far) comes first; then the template text, ignoring
 * case, decides. The first route in that order whose template matches the path and whose
 * {@code methods} include the request's method wins. Two routes of the same shape whose methods
 * overlap are refused when the table is built, since no order between them would be the right one.
 *
 * @param <T> what a route leads to (the function's invoker)
 */
final class RouteTable<T> {
  /** The methods a route with an empty {@code methods} list accepts: every one the programming model names. */
  static final Set<String> ALL_METHODS = Arrays.stream(HttpMethod.values()).map(Enum::name)
      .collect(Collectors.toCollection(TreeSet::new));

  /**
   * One function's route.
   *
   * @param function the function name, for messages
   * @param template its route template
   * @param methods upper-case methods it accepts; empty for all
   * @param target what the route leads to
   */
  record Route<T>(String function, RouteTemplate template, Set<String> methods, T target) {
    Route {
      methods = methods.stream().map(m -> m.toUpperCase(Locale.ROOT)).collect(Collectors.toCollection(TreeSet::new));
    }

    boolean accepts(String method) {
      return methods.isEmpty() ? ALL_METHODS.contains(method) : methods.contains(method);
    }

    Set<String> allowed() {
      return methods.isEmpty() ? ALL_METHODS : methods;
    }
  }

  /** Where a request goes. */
  sealed interface Resolution<T> {}

  /** A route matched: its route values. */
  record Found<T>(Route<T> route, Map<String, String> values) implements Resolution<T> {}

  /** No route matches the path. */
  record NotFound<T>() implements Resolution<T> {}

  /** Routes match the path, but none takes the method; {@code allowed} lists what they take. */
  record MethodNotAllowed<T>(Set<String> allowed) implements Resolution<T> {}

  private static final Comparator<int[]> BY_RANKS = (a, b) -> {
    for (int i = 0; i < Math.min(a.length, b.length); i++) {
      if (a[i] != b[i]) {
        return Integer.compare(a[i], b[i]);
      }
    }
    return Integer.compare(a.length, b.length);
  };

  private final List<String> prefix;
  private final List<Route<T>> routes;

  /**
   * The table of {@code routes} under {@code routePrefix} ({@code api}, or empty).
   *
   * @throws IllegalArgumentException when two routes of one shape share a method
   */
  RouteTable(String routePrefix, List<Route<T>> routes) {
    this.prefix = Arrays.stream(routePrefix.split("/")).filter(s -> !s.isEmpty()).toList();
    List<Route<T>> ordered = new ArrayList<>(routes);
    ordered.sort(Comparator.<Route<T>, int[]>comparing(r -> r.template().ranks(), BY_RANKS)
        .thenComparing(r -> r.template().text(), String.CASE_INSENSITIVE_ORDER)
        .thenComparing(Route::function));
    for (int i = 0; i < ordered.size(); i++) {
      for (int j = i + 1; j < ordered.size(); j++) {
        Route<T> a = ordered.get(i);
        Route<T> b = ordered.get(j);
        Set<String> shared = new TreeSet<>(a.allowed());
        shared.retainAll(b.allowed());
        if (a.template().shape().equals(b.template().shape()) && !shared.isEmpty()) {
          throw new IllegalArgumentException("functions " + a.function() + " and " + b.function() + " both serve "
              + shared + " " + path(a.template()));
        }
      }
    }
    this.routes = List.copyOf(ordered);
  }

  /** The routes, most specific first. */
  List<Route<T>> routes() {
    return routes;
  }

  /** The URL path of a template under the prefix: {@code /api/items/{id}}. */
  String path(RouteTemplate template) {
    List<String> parts = new ArrayList<>(prefix);
    if (!template.text().isEmpty()) {
      parts.add(template.text());
    }
    return "/" + String.join("/", parts);
  }

  /** Where a request for {@code method} and the raw (still percent-encoded) {@code rawPath} goes. */
  Resolution<T> resolve(String method, String rawPath) {
    Optional<List<String>> path = underPrefix(rawPath);
    if (path.isEmpty()) {
      return new NotFound<>();
    }
    String upper = method.toUpperCase(Locale.ROOT);
    Set<String> allowed = new TreeSet<>();
    for (Route<T> route : routes) {
      Optional<Map<String, String>> values = route.template().match(path.get());
      if (values.isPresent()) {
        if (route.accepts(upper)) {
          return new Found<>(route, values.get());
        }
        allowed.addAll(route.allowed());
      }
    }
    return allowed.isEmpty() ? new NotFound<>() : new MethodNotAllowed<>(allowed);
  }

  /** The decoded segments after the route prefix, or empty when the path is not under it. */
  private Optional<List<String>> underPrefix(String rawPath) {
    if (rawPath == null || !rawPath.startsWith("/")) {
      return Optional.empty();
    }
    List<String> raw = new ArrayList<>(Arrays.asList(rawPath.substring(1).split("/", -1)));
    // a trailing slash names the same resource, as in ASP.NET Core routing
    if (!raw.isEmpty() && raw.get(raw.size() - 1).isEmpty()) {
      raw.remove(raw.size() - 1);
    }
    if (raw.size() < prefix.size()) {
      return Optional.empty();
    }
    for (int i = 0; i < prefix.size(); i++) {
      if (!UrlCoding.decodePath(raw.get(i)).equalsIgnoreCase(prefix.get(i))) {
        return Optional.empty();
      }
    }
    // each segment is decoded on its own, so an encoded slash (%2F) stays inside its segment's value
    return Optional.of(raw.subList(prefix.size(), raw.size()).stream().map(UrlCoding::decodePath).toList());
  }
}
