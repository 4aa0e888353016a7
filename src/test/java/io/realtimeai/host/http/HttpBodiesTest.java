package io.realtimeai.host.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import io.realtimeai.error.BadRequestException;
import io.realtimeai.error.PayloadTooLargeException;
import java.io.ByteArrayInputStream;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Request bodies read under the limit and converted to each declared type; response bodies encoded. */
class HttpBodiesTest {
  record Order(String sku, int quantity) {}

  private static Type type(TypeReference<?> reference) {
    return reference.getType();
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void read_refusesADeclaredLengthOverTheLimitWithoutReading() {
    ByteArrayInputStream in = new ByteArrayInputStream(new byte[20]);
    assertThatThrownBy(() -> HttpBodies.read(in, 20, 10)).isInstanceOf(PayloadTooLargeException.class);
    assertThat(in.available()).isEqualTo(20);
  }

  @Test
  void read_aLargeDeclaredLengthIsNotAllocatedBeforeItsBytesArrive() throws Exception {
    long declared = 90L << 20;
    var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    // Once before measuring, so that what loads and initializes on first use is not counted.
    assertThatThrownBy(() -> HttpBodies.read(new ByteArrayInputStream(new byte[10]), declared, 100L << 20))
        .isInstanceOf(java.io.IOException.class);
    long before = threads.getCurrentThreadAllocatedBytes();

    assertThatThrownBy(() -> HttpBodies.read(new ByteArrayInputStream(new byte[10]), declared, 100L << 20))
        .isInstanceOf(java.io.IOException.class).hasMessage("the request body ended after 10 of " + declared + " bytes");

    // The first MiB is allocated before a byte arrives; the rest of what this thread allocated is the test's own.
    assertThat(threads.getCurrentThreadAllocatedBytes() - before).as("bytes allocated")
        .isLessThan(2 * HttpBodies.PREALLOCATED_BYTES);
  }

  @Test
  void read_givesABodyOfItsDeclaredLengthWhole() throws Exception {
    byte[] small = new byte[1000];
    byte[] large = new byte[(int) HttpBodies.PREALLOCATED_BYTES + 3];
    large[large.length - 1] = 7;

    assertThat(HttpBodies.read(new ByteArrayInputStream(small), small.length, 100L << 20)).isEqualTo(small);
    assertThat(HttpBodies.read(new ByteArrayInputStream(large), large.length, 100L << 20)).isEqualTo(large);
  }

  @Test
  void read_countsABodyOfUnknownLength() throws Exception {
    assertThat(HttpBodies.read(new ByteArrayInputStream(new byte[10]), -1, 10)).hasSize(10);
    assertThatThrownBy(() -> HttpBodies.read(new ByteArrayInputStream(new byte[11]), -1, 10))
        .isInstanceOf(PayloadTooLargeException.class).hasMessageContaining("larger than 10 bytes");
  }

  @Test
  void convert_givesOptionalStringOrEmpty() {
    assertThat(HttpBodies.convert(utf8("héllo"), type(new TypeReference<Optional<String>>() {}), null))
        .isEqualTo(Optional.of("héllo"));
    assertThat(HttpBodies.convert(new byte[0], type(new TypeReference<Optional<String>>() {}), null))
        .isEqualTo(Optional.empty());
  }

  @Test
  void convert_decodesStringWithTheContentTypeCharset() {
    byte[] latin1 = "café".getBytes(StandardCharsets.ISO_8859_1);
    assertThat(HttpBodies.convert(latin1, String.class, "text/plain; charset=ISO-8859-1")).isEqualTo("café");
  }

  @Test
  void convert_passesBytesThrough() {
    byte[] bytes = {0, (byte) 0xff, 7};
    assertThat(HttpBodies.convert(bytes, byte[].class, null)).isSameAs(bytes);
    assertThat(HttpBodies.convert(new byte[0], byte[].class, null)).isNull();
  }

  @Test
  void convert_readsRecordsAndGenericTypesFromJson() {
    assertThat(HttpBodies.convert(utf8("{\"sku\":\"A\",\"quantity\":2,\"unknown\":1}"), Order.class, null))
        .isEqualTo(new Order("A", 2));
    assertThat(HttpBodies.convert(utf8("[{\"sku\":\"B\",\"quantity\":1}]"), type(new TypeReference<List<Order>>() {}), null))
        .isEqualTo(List.of(new Order("B", 1)));
    assertThat(HttpBodies.convert(utf8("{\"a\":1}"), type(new TypeReference<Optional<Map<String, Integer>>>() {}), null))
        .isEqualTo(Optional.of(Map.of("a", 1)));
  }

  @Test
  void convert_refusesMalformedJsonNamingTheProblem() {
    assertThatThrownBy(() -> HttpBodies.convert(utf8("{\"sku\": "), Order.class, null))
        .isInstanceOf(BadRequestException.class)
        .hasMessageContaining("not valid JSON for Order")
        .hasMessageContaining("line 1");
    assertThatThrownBy(() -> HttpBodies.convert(utf8("{\"quantity\":\"many\"}"), Order.class, null))
        .isInstanceOf(BadRequestException.class)
        .hasMessageContaining("quantity");
  }

  @Test
  void encode_writesTextBytesAndJsonWithTheirContentTypes() {
    assertThat(HttpBodies.encode("hi")).satisfies(e -> {
      assertThat(e.bytes()).isEqualTo(utf8("hi"));
      assertThat(e.contentType()).isEqualTo("text/plain; charset=utf-8");
    });
    assertThat(HttpBodies.encode(new byte[] {1}).contentType()).isEqualTo("application/octet-stream");
    assertThat(new String(HttpBodies.encode(new Order("A", 2)).bytes(), StandardCharsets.UTF_8))
        .isEqualTo("{\"sku\":\"A\",\"quantity\":2}");
    assertThat(HttpBodies.encode(null).contentType()).isNull();
  }
}
