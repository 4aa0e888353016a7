package io.realtimeai.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.realtimeai.error.BadRequestException;
import io.realtimeai.error.PayloadTooLargeException;
import io.realtimeai.error.UnsupportedMediaTypeException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bodies a scoring call takes, read without I/O: raw images, multipart file parts, JSON base64. */
class ImageRequestsTest {
  private static final byte[] JPEG = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 1, 2, 3};
  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0};
  private static final byte[] GIF = "GIF89a....".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] BMP = "BM......".getBytes(StandardCharsets.US_ASCII);
  private static final String BOUNDARY = HttpScoringCalls.BOUNDARY;

  private final ImageRequests requests = ImageRequests.DEFAULT;

  @Test
  void read_takesARawImageOfEachDeclaredType() {
    assertThat(requests.read("image/jpeg", JPEG)).containsExactly(JPEG);
    assertThat(requests.read("image/png", PNG)).containsExactly(PNG);
    assertThat(requests.read("IMAGE/GIF; charset=binary", GIF)).containsExactly(GIF);
    assertThat(requests.read("image/bmp", BMP)).containsExactly(BMP);
  }

  @Test
  void read_leavesADeclaredImageThatDoesNotDecodeToTheRuntime() {
    byte[] notReally = "hello".getBytes(StandardCharsets.UTF_8);

    assertThat(requests.read("image/jpeg", notReally)).containsExactly(notReally);
  }

  @Test
  void read_sniffsOctetStreamAndUntypedBodies() {
    assertThat(requests.read("application/octet-stream", PNG)).containsExactly(PNG);
    assertThat(requests.read(null, JPEG)).containsExactly(JPEG);
    assertThat(requests.read("", GIF)).containsExactly(GIF);
  }

  @Test
  void read_refusesAnUntypedBodyThatIsNoImageWith415() {
    assertThatThrownBy(() -> requests.read("application/octet-stream", "<?xml version".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(UnsupportedMediaTypeException.class)
        .hasMessageContaining("is not a JPEG, PNG, BMP or GIF image (it starts with 0x3C3F786D6C207665)");
  }

  @Test
  void read_refusesOtherMediaTypesSayingWhatIsAccepted() {
    assertThatThrownBy(() -> requests.read("text/plain", "a cat".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOfSatisfying(UnsupportedMediaTypeException.class, e -> assertThat(e.httpStatus()).isEqualTo(415))
        .hasMessageContaining("Content-Type 'text/plain' is not accepted")
        .hasMessageContaining("multipart/form-data")
        .hasMessageContaining("application/json");
    assertThatThrownBy(() -> requests.read("image/webp", JPEG)).isInstanceOf(UnsupportedMediaTypeException.class);
  }

  @Test
  void read_refusesAnEmptyBody() {
    assertThatThrownBy(() -> requests.read("image/jpeg", new byte[0]))
        .isInstanceOf(BadRequestException.class).hasMessageContaining("no image in the request");
    assertThatThrownBy(() -> requests.read(null, null))
        .isInstanceOf(BadRequestException.class).hasMessageContaining("no image in the request");
  }

  @Test
  void read_takesEveryFilePartOfAMultipartBodyInOrderAndIgnoresFields() {
    byte[] body = multipart(
        field("note", "text/plain", null, "ignored".getBytes(StandardCharsets.UTF_8)),
        field("image", "image/jpeg", "finch.jpg", JPEG),
        field("image", null, "fish.png", PNG),
        field("blob", "application/octet-stream", null, GIF),
        field("empty", "application/octet-stream", "", new byte[0]));

    List<byte[]> images = requests.read("multipart/form-data; boundary=\"" + BOUNDARY + "\"", body);

    assertThat(images).containsExactly(JPEG, PNG, GIF);
  }

  @Test
  void read_keepsBinaryPartsIntactEvenWhenTheyHoldLineBreaks() {
    byte[] tricky = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, '\r', '\n', '-', '-', '\r', '\n', 0};

    assertThat(requests.read("multipart/form-data; boundary=" + BOUNDARY, multipart(field("f", "image/jpeg", "a.jpg", tricky))))
        .containsExactly(tricky);
  }

  @Test
  void read_refusesAMultipartBodyWithoutABoundaryParameter() {
    assertThatThrownBy(() -> requests.read("multipart/form-data", multipart(field("f", "image/jpeg", "a.jpg", JPEG))))
        .isInstanceOf(BadRequestException.class).hasMessageContaining("needs its boundary parameter");
  }

  @Test
  void read_refusesAMultipartBodyWhoseBoundaryNeverAppears() {
    assertThatThrownBy(() -> requests.read("multipart/form-data; boundary=other", multipart(field("f", "image/jpeg", "a.jpg", JPEG))))
        .isInstanceOf(BadRequestException.class).hasMessageContaining("no part starts with the boundary '--other'");
  }

  @Test
  void read_refusesACutOffMultipartBodyNamingThePart() {
    byte[] whole = multipart(field("a", "image/jpeg", "a.jpg", JPEG), field("b", "image/png", "b.png", PNG));
    byte[] cut = java.util.Arrays.copyOf(whole, whole.length - BOUNDARY.length() - 8);

    assertThatThrownBy(() -> requests.read("multipart/form-data; boundary=" + BOUNDARY, cut))
        .isInstanceOf(BadRequestException.class).hasMessageContaining("part 1 is cut off or malformed");
  }

  @Test
  void read_refusesAMultipartBodyWithoutAFilePart() {
    byte[] body = multipart(field("note", "text/plain", null, "no image".getBytes(StandardCharsets.UTF_8)));

    assertThatThrownBy(() -> requests.read("multipart/form-data; boundary=" + BOUNDARY, body))
        .isInstanceOf(BadRequestException.class).hasMessageContaining("no file part among its 1 part(s)");
    assertThatThrownBy(() -> requests.read("multipart/form-data; boundary=" + BOUNDARY, new byte[0]))
        .isInstanceOf(BadRequestException.class).hasMessageContaining("no part starts with the boundary");
  }

  @Test
  void read_decodesJsonImagesAndImage() {
    String b64 = Base64.getEncoder().encodeToString(JPEG);

    assertThat(requests.read("application/json", json("{\"images\": [\"" + b64 + "\", \"" + Base64.getEncoder().encodeToString(PNG)
        + "\"]}"))).containsExactly(JPEG, PNG);
    assertThat(requests.read("application/json; charset=utf-8", json("{\"image\": \"" + b64 + "\"}"))).containsExactly(JPEG);
  }

  @Test
  void read_takesAJsonImageOfTensOfMegabytes_pastJacksonsOwnStringLimit() {
    // 16 MB is 21.4 million base64 characters: Jackson alone stops at 20 million.
    byte[] large = java.util.Arrays.copyOf(JPEG, 16 << 20);

    List<byte[]> images = requests.read("application/json", json("{\"image\": \"" + Base64.getEncoder().encodeToString(large) + "\"}"));

    assertThat(images).singleElement().satisfies(image -> assertThat(image).isEqualTo(large));
  }

  @Test
  void read_refusesAMultipartBoundaryLongerThanRfc2046Allows() {
    assertThatThrownBy(() -> requests.read("multipart/form-data; boundary=" + "b".repeat(71), new byte[10]))
        .isInstanceOf(BadRequestException.class)
        .hasMessage("Content-Type: the multipart boundary is 71 characters long; at most 70 (RFC 2046)");
  }

  @Test
  void read_acceptsDataUrlsUnpaddedUrlSafeAndLineWrappedBase64() {
    byte[] bytes = new byte[200];
    new java.util.Random(7).nextBytes(bytes);
    String mime = Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(bytes).replace("\r\n", "\\r\\n");

    assertThat(requests.read("application/json", json("{\"images\": [\"data:image/png;base64," + Base64.getEncoder().encodeToString(PNG)
        + "\", \"" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes) + "\", \"" + mime + "\"]}")))
        .containsExactly(PNG, bytes, bytes);
  }

  @Test
  void read_refusesInvalidBase64NamingItsIndex() {
    String good = Base64.getEncoder().encodeToString(JPEG);

    assertThatThrownBy(() -> requests.read("application/json", json("{\"images\": [\"" + good + "\", \"not base64!\"]}")))
        .isInstanceOf(BadRequestException.class).hasMessageStartingWith("images[1]: not valid base64");
    assertThatThrownBy(() -> requests.read("application/json", json("{\"images\": [\"" + good + "\", 42]}")))
        .isInstanceOf(BadRequestException.class).hasMessage("images[1]: must be a base64 string, got a number");
    assertThatThrownBy(() -> requests.read("application/json", json("{\"image\": \"\"}")))
        .isInstanceOf(BadRequestException.class).hasMessageStartingWith("image: empty");
  }

  @Test
  void read_refusesMalformedJsonAndUnknownFields() {
    assertThatThrownBy(() -> requests.read("application/json", json("{\"images\": [")))
        .isInstanceOf(BadRequestException.class).hasMessageStartingWith("body: invalid JSON at line 1");
    assertThatThrownBy(() -> requests.read("application/json", json("{\"instances\": []}")))
        .isInstanceOf(BadRequestException.class).hasMessageStartingWith("body: unknown field 'instances'");
    assertThatThrownBy(() -> requests.read("application/json", json("[\"abc\"]")))
        .isInstanceOf(BadRequestException.class).hasMessageStartingWith("body: must be a JSON object");
    assertThatThrownBy(() -> requests.read("application/json", json("{\"images\": []}")))
        .isInstanceOf(BadRequestException.class).hasMessageContaining("no image in the request");
    assertThatThrownBy(() -> requests.read("application/json", json("{\"images\": \"abc\"}")))
        .isInstanceOf(BadRequestException.class).hasMessageStartingWith("images: must be an array");
  }

  @Test
  void read_refusesMoreImagesThanOneCallTakes() {
    String one = "\"" + Base64.getEncoder().encodeToString(JPEG) + "\"";
    String many = String.join(",", java.util.Collections.nCopies(ImageRequests.MAX_IMAGES + 1, one));

    assertThat(requests.read("application/json", json("{\"images\": [" + String.join(",",
        java.util.Collections.nCopies(ImageRequests.MAX_IMAGES, one)) + "]}"))).hasSize(ImageRequests.MAX_IMAGES);
    assertThatThrownBy(() -> requests.read("application/json", json("{\"images\": [" + many + "]}")))
        .isInstanceOf(BadRequestException.class).hasMessageContaining("at most 64 images per call, got 65");
  }

  @Test
  void read_refusesAnImageOrABatchAboveTheMessageLimitWith413() {
    ImageRequests small = new ImageRequests(64, 8);

    assertThat(small.read("image/jpeg", new byte[8])).hasSize(1);
    assertThatThrownBy(() -> small.read("image/jpeg", new byte[9]))
        .isInstanceOfSatisfying(PayloadTooLargeException.class, e -> assertThat(e.httpStatus()).isEqualTo(413))
        .hasMessageContaining("image 0 is 9 bytes, above the 8 bytes");
    assertThatThrownBy(() -> small.read("multipart/form-data; boundary=" + BOUNDARY,
        multipart(field("a", "image/jpeg", "a.jpg", new byte[5]), field("b", "image/jpeg", "b.jpg", new byte[5]))))
        .isInstanceOf(PayloadTooLargeException.class).hasMessageContaining("the 2 images add up to 10 bytes");
  }

  private static byte[] json(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static HttpScoringCalls.Field field(String name, String type, String filename, byte[] data) {
    return new HttpScoringCalls.Field(name, type, filename, data);
  }

  private static byte[] multipart(HttpScoringCalls.Field... fields) {
    return HttpScoringCalls.form(fields);
  }
}
