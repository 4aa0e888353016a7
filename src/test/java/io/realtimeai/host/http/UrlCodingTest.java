package io.realtimeai.host.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Percent-decoding of path segments and query strings. */
class UrlCodingTest {
  @Test
  void decodePath_keepsPlusAndDecodesUtf8() {
    assertThat(UrlCoding.decodePath("a+b%20c%C3%A9")).isEqualTo("a+b cé");
  }

  @Test
  void decodePath_keepsMalformedEscapesAsWritten() {
    assertThat(UrlCoding.decodePath("100%")).isEqualTo("100%");
    assertThat(UrlCoding.decodePath("%zz%4")).isEqualTo("%zz%4");
  }

  @Test
  void parseQuery_decodesAndJoinsRepeatedNames() {
    Map<String, String> query = UrlCoding.parseQuery("top=5&tag=a&Tag=b+c&flag&q=%26%3D");
    assertThat(query).containsEntry("top", "5").containsEntry("tag", "a,b c").containsEntry("flag", "").containsEntry("q", "&=");
    assertThat(query.get("TOP")).isEqualTo("5");
  }

  @Test
  void parseQuery_isEmptyWithoutAQuery() {
    assertThat(UrlCoding.parseQuery(null)).isEmpty();
  }
}
