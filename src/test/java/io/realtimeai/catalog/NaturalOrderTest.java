package io.realtimeai.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The order entries are listed in. */
class NaturalOrderTest {
  private static List<String> sorted(String... names) {
    List<String> list = new ArrayList<>(List.of(names));
    list.sort(NaturalOrder.INSTANCE);
    return list;
  }

  @Test
  void compare_ordersNumbersByValue() {
    assertThat(sorted("10", "9", "2", "1")).containsExactly("1", "2", "9", "10");
  }

  @Test
  void compare_ordersNumbersInsideNames() {
    assertThat(sorted("resnet152", "resnet50", "resnet18", "mobilenet-v2")).containsExactly(
        "mobilenet-v2", "resnet18", "resnet50", "resnet152");
    assertThat(sorted("1.10", "1.9", "1.2.1", "1.2")).containsExactly("1.2", "1.2.1", "1.9", "1.10");
  }

  @Test
  void compare_tiesOnlyEqualNames() {
    assertThat(NaturalOrder.INSTANCE.compare("01", "1")).isNotZero();
    assertThat(NaturalOrder.INSTANCE.compare("v1", "v1")).isZero();
    assertThat(sorted("v01", "v1", "v001")).hasSize(3);
  }

  @Test
  void compare_handlesNumbersBeyondLong() {
    assertThat(sorted("99999999999999999999999", "100000000000000000000000", "5"))
        .containsExactly("5", "99999999999999999999999", "100000000000000000000000");
  }
}
