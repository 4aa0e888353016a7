package io.realtimeai.host.http;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A route template in the syntax the Functions host takes from ASP.NET Core: literal segments
 * (matched ignoring case), {@code {id}}, optional {@code {id?}}, defaulted {@code {id=5}}, inline
 * constraints {@code {id:int}}, {@code {id:int:min(1)?}}, and a catch-all {@code {*path}} as the last
 * segment, which takes the rest of the path, slashes included, or nothing.
 *
 * <p>Segments that mix literal text and parameters ({@code {name}.{ext}}) are refused when the
 * route is read, so a route the local host cannot serve stops it instead of never matching.
 */
final class RouteTemplate {
  /** One {@code /}-separated part of a template. */
  sealed interface Segment permits Literal, Parameter {}

  /** Literal text, matched ignoring case. */
  record Literal(String text) implements Segment {}

  /**
   * A parameter segment.
   *
   * @param name the route value's name
   * @param constraints every inline constraint, all of which a value must satisfy
   * @param optional {@code {name?}}: may be absent at the end of the path
   * @param defaultValue {@code {name=value}}: the value when absent, or null
   * @param catchAll {@code {*name}}: the rest of the path
   */
  record Parameter(String name, List<RouteConstraint> constraints, boolean optional, String defaultValue, boolean catchAll)
      implements Segment {
    Parameter {
      constraints = List.copyOf(constraints);
    }

    boolean mayBeAbsent() {
      return optional || catchAll || defaultValue != null;
    }

    boolean accepts(String value) {
      return constraints.stream().allMatch(c -> c.accepts(value));
    }
  }

  private final String text;
  private final List<Segment> segments;

  private RouteTemplate(String text, List<Segment> segments) {
    this.text = text;
    this.segments = List.copyOf(segments);
  }

  /**
   * Parses a template ({@code items/{id:int?}}); a leading or trailing slash is ignored.
   *
   * @throws IllegalArgumentException naming what is wrong with it
   */
  static RouteTemplate parse(String template) {
    String text = template.strip();
    while (text.startsWith("/")) {
      text = text.substring(1);
    }
    while (text.endsWith("/")) {
      text = text.substring(0, text.length() - 1);
    }
    try {
      List<Segment> segments = new ArrayList<>();
      if (!text.isEmpty()) {
        for (List<Object> pieces : scan(text)) {
          segments.add(segment(pieces));
        }
      }
      Set<String> names = new HashSet<>();
      for (int i = 0; i < segments.size(); i++) {
        if (segments.get(i) instanceof Parameter p) {
          if (p.catchAll() && i != segments.size() - 1) {
            throw new IllegalArgumentException("the catch-all {*" + p.name() + "} must be the last segment");
          }
          if (!names.add(p.name().toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("the parameter '" + p.name() + "' appears twice");
          }
        }
      }
      return new RouteTemplate(text, segments);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("route '" + template + "': " + e.getMessage(), e);
    }
  }

  /** The template as written, without leading or trailing slashes. */
  String text() {
    return text;
  }

  /** Its segments. */
  List<Segment> segments() {
    return segments;
  }

  /**
   * The route values when {@code path} (decoded segments, after the route prefix) matches, else empty.
   * Absent optional parameters have no value; absent defaulted ones have their default.
   */
  Optional<Map<String, String>> match(List<String> path) {
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < segments.size(); i++) {
      Segment segment = segments.get(i);
      if (segment instanceof Parameter p && p.catchAll()) {
        String rest = i < path.size() ? String.join("/", path.subList(i, path.size())) : "";
        if (rest.isEmpty()) {
          putDefault(values, p);
        } else if (p.accepts(rest)) {
          values.put(p.name(), rest);
        } else {
          return Optional.empty();
        }
        return Optional.of(values);
      }
      if (i >= path.size()) {
        if (segment instanceof Parameter p && p.mayBeAbsent()) {
          putDefault(values, p);
          continue;
        }
        return Optional.empty();
      }
      String value = path.get(i);
      if (segment instanceof Literal literal) {
        if (!literal.text().equalsIgnoreCase(value)) {
          return Optional.empty();
        }
      } else if (segment instanceof Parameter p) {
        if (value.isEmpty() || !p.accepts(value)) {
          return Optional.empty();
        }
        values.put(p.name(), value);
      }
    }
    return path.size() <= segments.size() ? Optional.of(values) : Optional.empty();
  }

  /**
   * How specific each segment is, lower first: 0 a literal, 1 a constrained parameter, 2 a parameter,
   * 3 a catch-all (ASP.NET Core's inbound route precedence).
   */
  int[] ranks() {
    int[] ranks = new int[segments.size()];
    for (int i = 0; i < ranks.length; i++) {
      ranks[i] = segments.get(i) instanceof Parameter p
          ? p.catchAll() ? 3 : p.constraints().isEmpty() ? 2 : 1
          : 0;
    }
    return ranks;
  }

  /** The template with parameter names left out and literals lower-cased: two routes of one shape match the same paths. */
  String shape() {
    return segments.stream().map(segment -> {
      if (segment instanceof Parameter p) {
        return "{" + (p.catchAll() ? "*" : "")
            + p.constraints().stream().map(c -> c.text().toLowerCase(Locale.ROOT)).collect(Collectors.joining(":"))
            + (p.optional() ? "?" : "") + (p.defaultValue() != null ? "=" + p.defaultValue() : "") + "}";
      }
      return ((Literal) segment).text().toLowerCase(Locale.ROOT);
    }).collect(Collectors.joining("/"));
  }

  @Override
  public String toString() {
    return text;
  }

  private static void putDefault(Map<String, String> values, Parameter p) {
    if (p.defaultValue() != null) {
      values.put(p.name(), p.defaultValue());
    }
  }

  /**
   * Splits a template into segments, each a list of pieces: a {@code String} of literal text or a
   * {@code StringBuilder} holding a parameter's inside. Slashes inside braces (a regex constraint)
   * do not split, and {@code {{ }}} inside a parameter stand for literal braces, as in ASP.NET.
   */
  private static List<List<Object>> scan(String text) {
    List<List<Object>> segments = new ArrayList<>();
    List<Object> pieces = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    StringBuilder parameter = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      char next = i + 1 < text.length() ? text.charAt(i + 1) : 0;
      if (parameter != null) {
        if ((c == '}' && next == '}') || (c == '{' && next == '{')) {
          parameter.append(c);
          i++;
        } else if (c == '}') {
          pieces.add(parameter);
          parameter = null;
        } else if (c == '{') {
          throw new IllegalArgumentException("'{' inside a parameter (write '{{' for a literal brace)");
        } else {
          parameter.append(c);
        }
      } else if (c == '/') {
        endSegment(segments, pieces, literal);
        pieces = new ArrayList<>();
      } else if (c == '{') {
        if (next == '{') {
          throw new IllegalArgumentException("literal braces are not supported by the local host");
        }
        if (!literal.isEmpty()) {
          pieces.add(literal.toString());
          literal.setLength(0);
        }
        parameter = new StringBuilder();
      } else if (c == '}') {
        throw new IllegalArgumentException("'}' without a matching '{'");
      } else if (c == '?') {
        throw new IllegalArgumentException("'?' is only allowed at the end of a parameter");
      } else {
        literal.append(c);
      }
    }
    if (parameter != null) {
      throw new IllegalArgumentException("a parameter is not closed with '}'");
    }
    endSegment(segments, pieces, literal);
    return segments;
  }

  private static void endSegment(List<List<Object>> segments, List<Object> pieces, StringBuilder literal) {
    if (!literal.isEmpty()) {
      pieces.add(literal.toString());
      literal.setLength(0);
    }
    if (pieces.isEmpty()) {
      throw new IllegalArgumentException("empty segment ('//')");
    }
    segments.add(pieces);
  }

  private static Segment segment(List<Object> pieces) {
    if (pieces.size() > 1) {
      throw new IllegalArgumentException("segment '" + pieces.stream()
          .map(p -> p instanceof StringBuilder b ? "{" + b + "}" : p.toString()).collect(Collectors.joining())
          + "' mixes literal text and parameters, which the local host does not support");
    }
    Object piece = pieces.get(0);
    return piece instanceof StringBuilder inside ? parameter(inside.toString()) : new Literal((String) piece);
  }

  /** Parses a parameter's inside: {@code [*|**]name(:constraint[(argument)])*[?|=default]}. */
  private static Parameter parameter(String inside) {
    int i = 0;
    boolean catchAll = false;
    while (i < inside.length() && inside.charAt(i) == '*' && i < 2) {
      catchAll = true;
      i++;
    }
    int nameStart = i;
    while (i < inside.length() && ":=?".indexOf(inside.charAt(i)) < 0) {
      i++;
    }
    String name = inside.substring(nameStart, i);
    if (name.isEmpty() || name.chars().anyMatch(ch -> "/{}*".indexOf(ch) >= 0)) {
      throw new IllegalArgumentException("'{" + inside + "}' has no valid parameter name");
    }
    List<RouteConstraint> constraints = new ArrayList<>();
    while (i < inside.length() && inside.charAt(i) == ':') {
      int start = ++i;
      while (i < inside.length() && Character.isLetterOrDigit(inside.charAt(i))) {
        i++;
      }
      String constraint = inside.substring(start, i);
      if (constraint.isEmpty()) {
        throw new IllegalArgumentException("'{" + inside + "}' has an empty constraint");
      }
      String argument = null;
      if (i < inside.length() && inside.charAt(i) == '(') {
        int close = closingParenthesis(inside, i);
        argument = inside.substring(i + 1, close);
        i = close + 1;
      }
      constraints.add(RouteConstraint.of(constraint, argument));
    }
    boolean optional = false;
    String defaultValue = null;
    if (i < inside.length()) {
      char c = inside.charAt(i);
      if (c == '?' && i == inside.length() - 1) {
        optional = true;
      } else if (c == '=') {
        defaultValue = inside.substring(i + 1);
      } else {
        throw new IllegalArgumentException("'{" + inside + "}': unexpected '" + inside.substring(i) + "'");
      }
    }
    if (catchAll && optional) {
      throw new IllegalArgumentException("a catch-all parameter cannot be marked optional: it already may be empty");
    }
    return new Parameter(name, constraints, optional, defaultValue, catchAll);
  }

  private static int closingParenthesis(String text, int open) {
    int depth = 0;
    for (int i = open; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '(') {
        depth++;
      } else if (c == ')' && --depth == 0) {
        return i;
      }
    }
    throw new IllegalArgumentException("'" + text.substring(open) + "' is not closed with ')'");
  }
}
