package io.realtimeai.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ScoringJobTest {
  @Test
  void etag_isQuotedAsOnTheWire() {
    assertThat(new ScoringJob("svc", "a/b.jpg", "0x1D").etag()).isEqualTo("\"0x1D\"");
    assertThat(new ScoringJob("svc", "a/b.jpg", "\"0x1D\"").etag()).isEqualTo("\"0x1D\"");
  }

  @Test
  void jobWithoutAField_isRefusedNamingIt() {
    assertThatThrownBy(() -> new ScoringJob("svc", " ", "0x1")).hasMessageContaining("path");
    assertThatThrownBy(() -> new ScoringJob(null, "a.jpg", "0x1")).hasMessageContaining("service");
    assertThatThrownBy(() -> new ScoringJob("svc", "a.jpg", null)).hasMessageContaining("etag");
  }

  @Test
  void json_roundTripsAsTheQueueCarriesIt() throws Exception {
    ObjectMapper json = new ObjectMapper();
    ScoringJob job = new ScoringJob("svc", "batch/0001.jpg", "\"0x8DC\"");

    String text = json.writeValueAsString(job);

    assertThat(text).isEqualTo("{\"service\":\"svc\",\"path\":\"batch/0001.jpg\",\"etag\":\"\\\"0x8DC\\\"\"}");
    assertThat(json.readValue(text, ScoringJob.class)).isEqualTo(job);
  }

  @Test
  void carrying_inlinesASmallImageThatRoundTripsWithinTheQueuesLimit() throws Exception {
    byte[] small = new byte[ScoringJob.MAX_INLINE_BYTES];
    small[0] = (byte) 0xFF;
    small[small.length - 1] = 7;
    ScoringJob job = new ScoringJob("svc", "a.jpg", "0x1").carrying(small);
    String text = new ObjectMapper().writeValueAsString(job);

    assertThat(new ObjectMapper().readValue(text, ScoringJob.class).inlineImage()).hasValueSatisfying(
        bytes -> assertThat(bytes).containsExactly(small));
    // On the wire the queue base64-encodes the text again; Storage takes 64 KiB at most.
    assertThat(java.util.Base64.getEncoder().encodeToString(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .hasSizeLessThanOrEqualTo(64 * 1024);
    assertThat(job.toString()).doesNotContain(job.content()).contains("images/svc/a.jpg");
  }

  @Test
  void carrying_namesALargerImageOnly() {
    ScoringJob job = new ScoringJob("svc", "a.jpg", "0x1");

    assertThat(job.carrying(new byte[ScoringJob.MAX_INLINE_BYTES + 1])).isSameAs(job);
    assertThat(job.inlineImage()).isEmpty();
  }

  @Test
  void of_splitsTheBlobNameAtTheFirstFolder() {
    assertThat(ScoringJob.of("svc/2024/06/cat.jpg", "0x1")).isEqualTo(new ScoringJob("svc", "2024/06/cat.jpg", "0x1"));
    assertThat(ScoringJob.of("svc/cat.jpg", "0x1").service()).isEqualTo("svc");
    assertThatThrownBy(() -> ScoringJob.of("cat.jpg", "0x1")).hasMessageContaining("images/cat.jpg is not under a service's folder");
    assertThatThrownBy(() -> ScoringJob.of("svc/", "0x1")).hasMessageContaining("not under a service's folder");
  }

  @Test
  void image_namesTheBlob() {
    assertThat(new ScoringJob("svc", "a/b.jpg", "0x1").image()).isEqualTo("images/svc/a/b.jpg");
  }
}
