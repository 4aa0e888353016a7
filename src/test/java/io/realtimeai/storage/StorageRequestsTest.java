package io.realtimeai.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class StorageRequestsTest {
  @Test
  void since_keepsOnlyTheKindsThatGrew() {
    Map<String, Long> before = Map.of("GET blob", 3L, "PUT blob", 1L);
    Map<String, Long> after = Map.of("GET blob", 3L, "PUT blob", 4L, "GET queue", 2L);

    assertThat(StorageRequests.since(before, after)).containsExactly(Map.entry("GET queue", 2L), Map.entry("PUT blob", 3L));
  }

  @Test
  void newCounter_startsEmpty() {
    assertThat(new StorageRequests().snapshot()).isEmpty();
  }
}
