package io.realtimeai.faults;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** Small predicates the fault tests share. */
final class FaultsSupport {
  private FaultsSupport() {}

  /** True once an operation's body is in a final state. */
  static boolean finished(JsonNode operation) {
    return !List.of("NotStarted", "Running").contains(operation.get("state").asText());
  }
}
