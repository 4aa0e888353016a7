package io.realtimeai.catalog;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;

/**
 * What the catalog knows of one {@code {model_ref}/{model_version}}: the model version it checked
 * (blob ETag and SHA-256), whether it can serve as an accelerated stage, and why not.
 *
 * @param ref the model_ref, as named by the blob path
 * @param version the model_version, as named by the blob path
 * @param state {@link State#VALID} when a package's {@code brainwave} stage may use it
 * @param inputs the model's one input (empty when it could not be loaded)
 * @param outputs the model's outputs (empty when it could not be loaded)
 * @param sha256 the model file's SHA-256, hex
 * @param size the model file's size in bytes
 * @param description {@code model.json}'s description, or null
 * @param preprocessing {@code model.json}'s preprocessing hints (a JSON object, shown as written), or null
 * @param reasons why the entry is invalid, each naming what is wrong; empty when valid
 * @param validatedAt when this model version was checked
 * @param etag the ETag of the {@code model.onnx} blob version checked
 * @param modelJsonEtag the ETag of the {@code model.json} read with it, or null when there was none
 */
public record CatalogEntry(
    String ref,
    String version,
    State state,
    List<TensorSpec> inputs,
    List<TensorSpec> outputs,
    String sha256,
    long size,
    String description,
    JsonNode preprocessing,
    List<String> reasons,
    Instant validatedAt,
    String etag,
    @JsonIgnore String modelJsonEtag) {

  public CatalogEntry {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    reasons = List.copyOf(reasons);
    preprocessing = preprocessing == null ? null : preprocessing.deepCopy();
  }

  /** Whether an entry can serve as an accelerated stage. */
  public enum State {
    VALID("Valid"),
    INVALID("Invalid");

    private final String label;

    State(String label) {
      this.label = label;
    }

    /** The word the API and the table use: {@code Valid} or {@code Invalid}. */
    @JsonValue
    public String label() {
      return label;
    }

    /** The state a label names. */
    public static State of(String label) {
      for (State state : values()) {
        if (state.label.equals(label)) {
          return state;
        }
      }
      throw new IllegalArgumentException("not a catalog entry state: " + label);
    }
  }

  /** True when a package may use this entry. */
  public boolean valid() {
    return state == State.VALID;
  }

  /** {@code ref/version}, as packages and {@link AcceleratedModels#materialize} name entries. */
  public String refVersion() {
    return ref + "/" + version;
  }
}
