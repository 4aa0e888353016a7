package io.realtimeai.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The accelerated model catalog as a directory: {@code {model_ref}/{model_version}/model.onnx},
 * optionally with a {@code model.json} beside it. An absent directory is an empty catalog.
 *
 * @param root the catalog directory, or null for no catalog
 * @param description how messages name the catalog ({@code catalog <root>} unless given)
 */
public record AcceleratedCatalog(Path root, String description) {
  /** The model file name of every catalog entry. */
  public static final String MODEL_FILE = "model.onnx";

  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  public AcceleratedCatalog {
    if (description == null) {
      description = root == null ? "no catalog (--catalog not given)" : "catalog " + root;
    }
  }

  /** A catalog directory named by its path in messages. */
  public AcceleratedCatalog(Path root) {
    this(root, null);
  }

  /** A catalog with no entries. */
  public static AcceleratedCatalog none() {
    return new AcceleratedCatalog(null, null);
  }

  /** True when {@code ref} or {@code version} could name a catalog folder (no separators, no dots first). */
  public static boolean isValidName(String segment) {
    return segment != null && SEGMENT.matcher(segment).matches();
  }

  /** The model file of {@code ref/version}, when the catalog holds it. */
  public Optional<Path> find(String ref, String version) {
    if (root == null || !isValidName(ref) || !isValidName(version)) {
      return Optional.empty();
    }
    Path model = root.resolve(ref).resolve(version).resolve(MODEL_FILE);
    return Files.isRegularFile(model) ? Optional.of(model) : Optional.empty();
  }

  /** Every entry as {@code ref/version}, sorted. */
  public List<String> entries() throws IOException {
    List<String> entries = new ArrayList<>();
    if (root == null || !Files.isDirectory(root)) {
      return entries;
    }
    try (Stream<Path> refs = Files.list(root)) {
      for (Path ref : refs.sorted().toList()) {
        if (!Files.isDirectory(ref)) {
          continue;
        }
        try (Stream<Path> versions = Files.list(ref)) {
          versions.sorted()
              .filter(v -> Files.isRegularFile(v.resolve(MODEL_FILE)))
              .forEach(v -> entries.add(ref.getFileName() + "/" + v.getFileName()));
        }
      }
    }
    return entries;
  }

  /** Names the catalog in messages. */
  public String describe() {
    return description;
  }
}
