package io.realtimeai.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** W3C {@code traceparent} and {@code Server-Timing} values, as the app and the runtime read and write them. */
class TraceContextTest {
  private static final String VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  @Test
  void parse_validHeader_givesItsTraceSpanAndFlags() {
    TraceContext context = TraceContext.parse(VALID).orElseThrow();

    assertThat(context.traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(context.spanId()).isEqualTo("00f067aa0ba902b7");
    assertThat(context.flags()).isEqualTo("01");
    assertThat(context.header()).isEqualTo(VALID);
  }

  @Test
  void parse_laterVersionWithMoreFields_keepsTheFieldsItKnows() {
    assertThat(TraceContext.parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-adds"))
        .hasValueSatisfying(context -> assertThat(context.header()).isEqualTo(VALID));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "garbage",
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // uppercase
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // all-zero trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // all-zero span id
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // version ff is invalid
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", // version 00 has exactly four fields
      "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", // short trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01", // short span id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1"})
  void parse_malformedHeader_isEmptySoTheReceiverStartsANewTrace(String header) {
    assertThat(TraceContext.parse(header)).isEmpty();
  }

  @Test
  void parse_null_isEmpty() {
    assertThat(TraceContext.parse(null)).isEmpty();
  }

  @Test
  void newTraceAndChild_areValidAndChildKeepsTheTrace() {
    TraceContext root = TraceContext.newTrace();
    TraceContext child = root.child();

    assertThat(TraceContext.parse(root.header())).contains(root);
    assertThat(root.traceId()).matches("[0-9a-f]{32}");
    assertThat(root.spanId()).matches("[0-9a-f]{16}");
    assertThat(child.traceId()).isEqualTo(root.traceId());
    assertThat(child.spanId()).isNotEqualTo(root.spanId());
    assertThat(TraceContext.newTrace().traceId()).isNotEqualTo(root.traceId());
  }

  @Test
  void constructor_refusesAnInvalidIdNamingIt() {
    assertThatThrownBy(() -> new TraceContext("xyz", "00f067aa0ba902b7", "01"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trace id").hasMessageContaining("'xyz'");
  }

  @Test
  void serverTiming_roundTripsItsDurations() {
    String header = ServerTiming.format(Map.of("inference", 11.5));

    assertThat(header).isEqualTo("inference;dur=11.500");
    assertThat(ServerTiming.parse("preprocess;dur=3.1, queue;desc=\"wait\";dur=0.2, cache, inference;dur=x"))
        .containsExactly(Map.entry("preprocess", 3.1), Map.entry("queue", 0.2));
  }
}
