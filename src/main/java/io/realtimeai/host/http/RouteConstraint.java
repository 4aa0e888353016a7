package io.realtimeai.host.http;

import java.math.BigInteger;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One inline constraint of a route parameter ({@code int}, {@code minlength(3)}, {@code regex(^a)} …),
 * with the meaning ASP.NET Core routing, and so the Functions host, gives it.
 *
 * @param text the constraint as written, for messages and route shapes
 * @param test whether a (decoded) segment value satisfies it
 */
record RouteConstraint(String text, Predicate<String> test) {
  private static final Pattern INTEGER = Pattern.compile("\\s*[+-]?\\d+\\s*");
  // .NET's double.TryParse(Float | AllowThousands, invariant culture): digits, thousands commas, a point, an exponent
  private static final Pattern DECIMAL = Pattern.compile("\\s*[+-]?(\\d[\\d,]*(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?\\s*");
  private static final Pattern ALPHA = Pattern.compile("[A-Za-z]*");
  // Guid.TryParse formats D, N, B and P
  private static final Pattern GUID = Pattern.compile(
      "\\p{XDigit}{8}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{12}"
          + "|\\p{XDigit}{32}"
          + "|\\{\\p{XDigit}{8}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{12}}"
          + "|\\(\\p{XDigit}{8}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{12}\\)");

  /** Whether {@code value} satisfies the constraint. */
  boolean accepts(String value) {
    return test.test(value);
  }

  /**
   * The constraint called {@code name} with its argument (the text between the parentheses, or null).
   *
   * @throws IllegalArgumentException for a constraint the Functions host does not know, or a bad argument
   */
  static RouteConstraint of(String name, String argument) {
    String text = argument == null ? name : name + "(" + argument + ")";
    String key = name.toLowerCase(Locale.ROOT);
    Predicate<String> test = switch (key) {
      case "int" -> noArgument(text, argument, v -> integerWithin(v, Integer.MIN_VALUE, Integer.MAX_VALUE));
      case "long" -> noArgument(text, argument, v -> integerWithin(v, Long.MIN_VALUE, Long.MAX_VALUE));
      case "bool" -> noArgument(text, argument, v -> v.strip().equalsIgnoreCase("true") || v.strip().equalsIgnoreCase("false"));
      case "alpha" -> noArgument(text, argument, v -> ALPHA.matcher(v).matches());
      case "guid" -> noArgument(text, argument, v -> GUID.matcher(v.strip()).matches());
      case "double", "float", "decimal" -> noArgument(text, argument, v -> DECIMAL.matcher(v).matches());
      case "datetime" -> noArgument(text, argument, RouteConstraint::isDateTime);
      case "required" -> noArgument(text, argument, v -> !v.isEmpty());
      case "minlength" -> {
        long min = numbers(text, argument, 1).get(0);
        yield v -> v.length() >= min;
      }
      case "maxlength" -> {
        long max = numbers(text, argument, 1).get(0);
        yield v -> v.length() <= max;
      }
      case "length" -> {
        List<Long> bounds = numbers(text, argument, argument != null && argument.contains(",") ? 2 : 1);
        long min = bounds.get(0);
        long max = bounds.get(bounds.size() - 1);
        yield v -> v.length() >= min && v.length() <= max;
      }
      case "min" -> {
        long min = numbers(text, argument, 1).get(0);
        yield v -> integerWithin(v, min, Long.MAX_VALUE);
      }
      case "max" -> {
        long max = numbers(text, argument, 1).get(0);
        yield v -> integerWithin(v, Long.MIN_VALUE, max);
      }
      case "range" -> {
        List<Long> bounds = numbers(text, argument, 2);
        yield v -> integerWithin(v, bounds.get(0), bounds.get(1));
      }
      case "regex" -> {
        if (argument == null || argument.isEmpty()) {
          throw new IllegalArgumentException("route constraint '" + text + "' needs a pattern");
        }
        try {
          // ASP.NET's regex constraint is case-insensitive and not anchored unless the pattern says so
          Pattern pattern = Pattern.compile(argument, Pattern.CASE_INSENSITIVE);
          yield v -> pattern.matcher(v).find();
        } catch (PatternSyntaxException e) {
          throw new IllegalArgumentException("route constraint '" + text + "': " + e.getDescription(), e);
        }
      }
      default -> throw new IllegalArgumentException("unknown route constraint '" + name
          + "' (known: int, long, bool, alpha, guid, double, float, decimal, datetime, required, minlength, maxlength, "
          + "length, min, max, range, regex)");
    };
    return new RouteConstraint(text, test);
  }

  private static Predicate<String> noArgument(String text, String argument, Predicate<String> test) {
    if (argument != null) {
      throw new IllegalArgumentException("route constraint '" + text + "' takes no argument");
    }
    return test;
  }

  private static List<Long> numbers(String text, String argument, int count) {
    String[] parts = argument == null ? new String[0] : argument.split(",", -1);
    if (parts.length != count) {
      throw new IllegalArgumentException("route constraint '" + text + "' needs " + count
          + (count == 1 ? " integer argument" : " integer arguments"));
    }
    try {
      return Arrays.stream(parts).map(p -> Long.parseLong(p.strip())).toList();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("route constraint '" + text + "': '" + argument + "' is not an integer", e);
    }
  }

  private static boolean integerWithin(String value, long min, long max) {
    if (!INTEGER.matcher(value).matches()) {
      return false;
    }
    // BigInteger, so a value past the long range fails the bound instead of overflowing
    BigInteger number = new BigInteger(value.strip().startsWith("+") ? value.strip().substring(1) : value.strip());
    return number.compareTo(BigInteger.valueOf(min)) >= 0 && number.compareTo(BigInteger.valueOf(max)) <= 0;
  }

  private static boolean isDateTime(String value) {
    String text = value.strip();
    for (var parser : List.<Consumer<String>>of(LocalDate::parse, LocalDateTime::parse, OffsetDateTime::parse)) {
      try {
        parser.accept(text);
        return true;
      } catch (DateTimeParseException e) {
        // try the next form
      }
    }
    return false;
  }
}
