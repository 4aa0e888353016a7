package io.realtimeai.catalog;

import static io.realtimeai.storage.TableValues.instant;
import static io.realtimeai.storage.TableValues.json;

import com.azure.data.tables.models.TableEntity;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;

/**
 * How a {@link CatalogEntry} is kept in the {@code acceleratedmodels} table: partition key the
 * model_ref, row key the model_version (escaped where the name holds a character keys refuse), so
 * that one entry is a point read and a model's versions are one partition.
 *
 * <p>Columns: {@code Ref}, {@code Version} (the names as given), {@code BlobETag} (the
 * {@code model.onnx} version checked; the row's own ETag is the table's), {@code ModelJsonETag},
 * {@code Sha256}, {@code Size}, {@code State} ({@code Valid}/{@code Invalid}), {@code Reasons},
 * {@code Inputs}, {@code Outputs} (JSON arrays), {@code Description}, {@code Preprocessing} (JSON),
 * {@code ValidatedAt}.
 */
final class CatalogRows {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<List<TensorSpec>> SPECS = new TypeReference<>() {};
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
  /** Longest key kept readable; longer names are keyed by their hash (a key holds at most 1 KiB). */
  private static final int MAX_READABLE_KEY = 255;

  private CatalogRows() {}

  /** The table's column names. */
  static final class Columns {
    static final String REF = "Ref";
    static final String VERSION = "Version";
    static final String BLOB_ETAG = "BlobETag";
    static final String MODEL_JSON_ETAG = "ModelJsonETag";
    static final String SHA256 = "Sha256";
    static final String SIZE = "Size";
    static final String STATE = "State";
    static final String REASONS = "Reasons";
    static final String INPUTS = "Inputs";
    static final String OUTPUTS = "Outputs";
    static final String DESCRIPTION = "Description";
    static final String PREPROCESSING = "Preprocessing";
    static final String VALIDATED_AT = "ValidatedAt";

    private Columns() {}
  }

  /**
   * The table key of a name: the name itself when it is a valid catalog name, else with every
   * character outside {@code [A-Za-z0-9._-]} percent-encoded (keys refuse {@code / \ # ?} and
   * control characters), else, when that is long, a hash.
   */
  static String key(String name) {
    StringBuilder key = new StringBuilder();
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if (c < 0x80 && (Character.isLetterOrDigit(c) || c == '.' || c == '_' || c == '-')) {
        key.append(c);
      } else {
        key.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    if (key.isEmpty()) {
      return "%";
    }
    return key.length() <= MAX_READABLE_KEY ? key.toString() : "%sha256-" + sha256(name);
  }

  /** The row of an entry; absent values are left out (the table keeps no nulls). */
  static TableEntity toRow(CatalogEntry entry) {
    TableEntity row = new TableEntity(key(entry.ref()), key(entry.version()));
    put(row, Columns.REF, entry.ref());
    put(row, Columns.VERSION, entry.version());
    put(row, Columns.BLOB_ETAG, entry.etag());
    put(row, Columns.MODEL_JSON_ETAG, entry.modelJsonEtag());
    put(row, Columns.SHA256, entry.sha256());
    put(row, Columns.SIZE, entry.size());
    put(row, Columns.STATE, entry.state().label());
    put(row, Columns.REASONS, json(entry.reasons()));
    put(row, Columns.INPUTS, json(entry.inputs()));
    put(row, Columns.OUTPUTS, json(entry.outputs()));
    put(row, Columns.DESCRIPTION, entry.description());
    put(row, Columns.PREPROCESSING, entry.preprocessing() == null ? null : json(entry.preprocessing()));
    put(row, Columns.VALIDATED_AT, OffsetDateTime.ofInstant(entry.validatedAt(), ZoneOffset.UTC));
    return row;
  }

  private static void put(TableEntity row, String column, Object value) {
    if (value != null) {
      row.addProperty(column, value);
    }
  }

  /** The entry a row holds. */
  static CatalogEntry fromRow(TableEntity row) {
    String preprocessing = string(row, Columns.PREPROCESSING);
    Object size = row.getProperty(Columns.SIZE);
    return new CatalogEntry(
        string(row, Columns.REF),
        string(row, Columns.VERSION),
        CatalogEntry.State.of(string(row, Columns.STATE)),
        read(string(row, Columns.INPUTS), SPECS),
        read(string(row, Columns.OUTPUTS), SPECS),
        string(row, Columns.SHA256),
        size instanceof Number number ? number.longValue() : 0L,
        string(row, Columns.DESCRIPTION),
        preprocessing == null ? null : readTree(preprocessing),
        read(string(row, Columns.REASONS), STRINGS),
        instant(row.getProperty(Columns.VALIDATED_AT)),
        string(row, Columns.BLOB_ETAG),
        string(row, Columns.MODEL_JSON_ETAG));
  }

  private static String string(TableEntity row, String column) {
    Object value = row.getProperty(column);
    return value == null ? null : value.toString();
  }

  private static <T> List<T> read(String json, TypeReference<List<T>> type) {
    if (json == null) {
      return List.of();
    }
    try {
      return JSON.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a catalog row holds malformed JSON: " + json, e);
    }
  }

  private static JsonNode readTree(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a catalog row holds malformed JSON: " + json, e);
    }
  }

  private static String sha256(String name) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
