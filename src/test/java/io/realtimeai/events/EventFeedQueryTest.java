package io.realtimeai.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.realtimeai.error.BadRequestException;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The query parameters of GET /api/events, read without touching storage. */
class EventFeedQueryTest {
  @Test
  void parse_defaultsToTheFirstHundredFromTheBeginning() {
    EventFeed.Query query = EventFeed.Query.parse(Map.of());

    assertThat(query).isEqualTo(new EventFeed.Query(null, 100, null));
  }

  @Test
  void parse_readsSinceTopAndContinuationInAnyCase() {
    EventFeed.Query query = EventFeed.Query.parse(Map.of("Since", "2025-01-31T12:00:00Z", "TOP", "5", "continuation", "abc"));

    assertThat(query).isEqualTo(new EventFeed.Query(Instant.parse("2025-01-31T12:00:00Z"), 5, "abc"));
  }

  @Test
  void parse_takesAnInstantWithAnOffset() {
    assertThat(EventFeed.Query.parse(Map.of("since", "2025-01-31T13:00:00+01:00")).since())
        .isEqualTo(Instant.parse("2025-01-31T12:00:00Z"));
  }

  @Test
  void parse_refusesAMalformedSinceNamingIt() {
    assertThatThrownBy(() -> EventFeed.Query.parse(Map.of("since", "yesterday")))
        .isInstanceOf(BadRequestException.class).hasMessageStartingWith("since:").hasMessageContaining("yesterday");
  }

  @Test
  void parse_refusesATopThatIsNotFromOneToAThousand() {
    for (String top : new String[] {"0", "-1", "1001", "ten", "1.5"}) {
      assertThatThrownBy(() -> EventFeed.Query.parse(Map.of("top", top))).as(top)
          .isInstanceOf(BadRequestException.class).hasMessageStartingWith("top:").hasMessageContaining(top);
    }
  }

  @Test
  void parse_acceptsTheLargestPage() {
    assertThat(EventFeed.Query.parse(Map.of("top", "1000")).top()).isEqualTo(1000);
  }
}
