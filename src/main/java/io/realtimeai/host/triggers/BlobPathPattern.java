package io.realtimeai.host.triggers;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code path} of a blob trigger, {@code container/blob-pattern}: which blobs start the
 * function and what each {@code {placeholder}} captured, for {@code @BindingName} parameters.
 *
 * <p>As in the Functions host (WebJobs' {@code BindingTemplateSource}, one {@code (?<name>.*)}
 * per placeholder), every placeholder is greedy and may take slashes: {@code {name}.{ext}} splits
 * at the last dot, and in {@code images/{service}/{path}} the service takes every folder but the
 * last. A function that wants the first folder binds the whole name and splits it itself.
 * Placeholders match at least one character. {@code {{} and {@code }}} are literal braces.
 */
public final class BlobPathPattern {
  private final String path;
  private final String container;
  private final String prefix;
  private final List<String> placeholders;
  private final Pattern regex;

  private BlobPathPattern(String path, String container, String prefix, List<String> placeholders, Pattern regex) {
    this.path = path;
    this.container = container;
    this.prefix = prefix;
    this.placeholders = List.copyOf(placeholders);
    this.regex = regex;
  }

  /**
   * Parses a trigger path: {@code container}, {@code container/{name}}, {@code container/dir/{name}.{ext}} …
   *
   * @throws IllegalArgumentException naming what is wrong with it
   */
  public static BlobPathPattern parse(String path) {
    if (path == null || path.isBlank()) {
      throw new IllegalArgumentException("blob trigger path is empty: give container/{name}");
    }
    String trimmed = path.strip();
    int slash = trimmed.indexOf('/');
    String container = slash < 0 ? trimmed : trimmed.substring(0, slash);
    String blob = slash < 0 ? "" : trimmed.substring(slash + 1);
    if (container.isEmpty() || container.contains("{") || container.contains("}")) {
      throw new IllegalArgumentException("blob trigger path '" + path + "': the container must be a fixed name");
    }
    List<String> placeholders = new ArrayList<>();
    StringBuilder regex = new StringBuilder("^");
    StringBuilder literal = new StringBuilder();
    String prefix = null;
    int i = 0;
    while (i < blob.length()) {
      char c = blob.charAt(i);
      if ((c == '{' || c == '}') && i + 1 < blob.length() && blob.charAt(i + 1) == c) {
        literal.append(c);
        i += 2;
      } else if (c == '{') {
        int close = blob.indexOf('}', i);
        if (close < 0) {
          throw new IllegalArgumentException("blob trigger path '" + path + "': '{' at " + (slash + 1 + i) + " is never closed");
        }
        String name = blob.substring(i + 1, close);
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
          throw new IllegalArgumentException("blob trigger path '" + path + "': '{" + name + "}' is not a placeholder name");
        }
        if (placeholders.stream().anyMatch(name::equalsIgnoreCase)) {
          throw new IllegalArgumentException("blob trigger path '" + path + "': '{" + name + "}' appears twice");
        }
        if (prefix == null) {
          prefix = literal.toString();
        }
        if (!literal.isEmpty()) {
          regex.append(Pattern.quote(literal.toString()));
          literal.setLength(0);
        }
        placeholders.add(name);
        regex.append("(.+)");
        i = close + 1;
      } else if (c == '}') {
        throw new IllegalArgumentException("blob trigger path '" + path + "': '}' at " + (slash + 1 + i) + " closes nothing");
      } else {
        literal.append(c);
        i++;
      }
    }
    if (prefix == null) {
      prefix = literal.toString();
    }
    if (!literal.isEmpty()) {
      regex.append(Pattern.quote(literal.toString()));
    }
    // A bare container (or container/) triggers on every blob in it.
    String pattern = blob.isEmpty() ? "^.+$" : regex.append('$').toString();
    return new BlobPathPattern(trimmed, container, prefix, placeholders, Pattern.compile(pattern, Pattern.DOTALL));
  }

  /** The path as written in {@code function.json}. */
  public String path() {
    return path;
  }

  /** The container the trigger watches. */
  public String container() {
    return container;
  }

  /** The literal start of every matching blob name: what a container listing filters on. */
  public String prefix() {
    return prefix;
  }

  /** The placeholder names, in order. */
  public List<String> placeholders() {
    return placeholders;
  }

  /** What each placeholder captured from {@code blobName}, or empty when the blob does not match. */
  public Optional<Map<String, String>> match(String blobName) {
    Matcher matcher = regex.matcher(blobName);
    if (!matcher.matches()) {
      return Optional.empty();
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (int g = 0; g < placeholders.size(); g++) {
      values.put(placeholders.get(g), matcher.group(g + 1));
    }
    return Optional.of(values);
  }

  @Override
  public String toString() {
    return path;
  }
}
