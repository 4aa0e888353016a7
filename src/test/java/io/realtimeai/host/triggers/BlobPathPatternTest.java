package io.realtimeai.host.triggers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which blobs a trigger path matches and what its placeholders capture. */
class BlobPathPatternTest {
  @Test
  void match_nameAndExtensionSplitAtTheLastDot() {
    BlobPathPattern pattern = BlobPathPattern.parse("model-uploads/{name}.{ext}");

    assertThat(pattern.container()).isEqualTo("model-uploads");
    assertThat(pattern.prefix()).isEmpty();
    assertThat(pattern.match("resnet50.v2.zip")).contains(Map.of("name", "resnet50.v2", "ext", "zip"));
    assertThat(pattern.match("noextension")).isEmpty();
  }

  @Test
  void match_literalSuffixMustBeThere() {
    BlobPathPattern pattern = BlobPathPattern.parse("model-uploads/{name}.zip");

    assertThat(pattern.match("resnet.zip")).contains(Map.of("name", "resnet"));
    assertThat(pattern.match("team/resnet.zip")).contains(Map.of("name", "team/resnet"));
    assertThat(pattern.match("resnet.tar")).isEmpty();
    assertThat(pattern.match("resnet.zip.bak")).isEmpty();
  }

  @Test
  void match_folderPrefixIsLiteralAndListedOn() {
    BlobPathPattern pattern = BlobPathPattern.parse("model-uploads/incoming/{name}");

    assertThat(pattern.prefix()).isEqualTo("incoming/");
    assertThat(pattern.match("incoming/a/b.onnx")).contains(Map.of("name", "a/b.onnx"));
    assertThat(pattern.match("archive/a.onnx")).isEmpty();
    assertThat(pattern.match("incoming/")).isEmpty();
  }

  @Test
  void match_placeholdersAreGreedyAsOnTheFunctionsHost() {
    BlobPathPattern pattern = BlobPathPattern.parse("images/{service}/{path}");

    assertThat(pattern.placeholders()).containsExactly("service", "path");
    // The real host's capture pattern is ^(?<service>.*)/(?<path>.*)$: the first placeholder takes all but the last folder.
    assertThat(pattern.match("resnet/2024/06/cat.jpg")).contains(Map.of("service", "resnet/2024/06", "path", "cat.jpg"));
    assertThat(pattern.match("resnet/cat.jpg")).contains(Map.of("service", "resnet", "path", "cat.jpg"));
    assertThat(pattern.match("cat.jpg")).isEmpty();
  }

  @Test
  void match_bareContainerMatchesEveryBlob() {
    assertThat(BlobPathPattern.parse("images").match("any/thing.jpg")).contains(Map.of());
    assertThat(BlobPathPattern.parse("images/").match("x")).contains(Map.of());
  }

  @Test
  void match_doubledBracesAreLiteral() {
    BlobPathPattern pattern = BlobPathPattern.parse("data/{{raw}}/{name}");

    assertThat(pattern.prefix()).isEqualTo("{raw}/");
    assertThat(pattern.match("{raw}/x.bin")).contains(Map.of("name", "x.bin"));
  }

  @Test
  void match_regexCharactersInLiteralsAreLiteral() {
    BlobPathPattern pattern = BlobPathPattern.parse("data/v1.0+(a)/{name}");

    assertThat(pattern.match("v1.0+(a)/x")).contains(Map.of("name", "x"));
    assertThat(pattern.match("v1x0+(a)/x")).isEmpty();
  }

  @Test
  void parse_rejectsPathsTheHostCannotWatch() {
    assertThatThrownBy(() -> BlobPathPattern.parse("")).hasMessageContaining("empty");
    assertThatThrownBy(() -> BlobPathPattern.parse("{container}/x")).hasMessageContaining("fixed name");
    assertThatThrownBy(() -> BlobPathPattern.parse("c/{name")).hasMessageContaining("never closed");
    assertThatThrownBy(() -> BlobPathPattern.parse("c/name}")).hasMessageContaining("closes nothing");
    assertThatThrownBy(() -> BlobPathPattern.parse("c/{a}/{a}")).hasMessageContaining("twice");
    assertThatThrownBy(() -> BlobPathPattern.parse("c/{a b}")).hasMessageContaining("not a placeholder name");
  }
}
