package io.realtimeai.registry;

import java.util.List;

/**
 * One page of models.
 *
 * @param value the models, by name then version
 * @param continuation where the next page starts, or null on the last page
 */
public record ModelPage(List<ModelRecord> value, String continuation) {
  public ModelPage {
    value = List.copyOf(value);
  }
}
