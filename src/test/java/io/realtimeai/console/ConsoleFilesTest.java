package io.realtimeai.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.realtimeai.error.BadRequestException;
import io.realtimeai.error.NotFoundException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The console's files as the app packages them: found by plain names only, typed, with validators. */
class ConsoleFilesTest {
  private final ConsoleFiles files = ConsoleFiles.bundled();

  @Test
  void find_emptyPath_answersTheIndexPage() {
    ConsoleFiles.File index = files.find("");

    assertThat(index.path()).isEqualTo("index.html");
    assertThat(index.contentType()).isEqualTo("text/html; charset=utf-8");
    assertThat(new String(index.bytes(), StandardCharsets.UTF_8)).contains("<title>realtime-ai console</title>");
    assertThat(files.find(null).etag()).isEqualTo(index.etag());
  }

  @Test
  void find_givesEachFileTheTypeOfItsExtension() {
    assertThat(files.find("console.css").contentType()).isEqualTo("text/css; charset=utf-8");
    assertThat(files.find("console.js").contentType()).isEqualTo("text/javascript; charset=utf-8");
    assertThat(files.find("metrics.js").contentType()).isEqualTo("text/javascript; charset=utf-8");
    assertThat(files.find("favicon.svg").contentType()).isEqualTo("image/svg+xml");
  }

  @Test
  void index_loadsOnlyFilesThatThePackageHolds() {
    String index = new String(files.find("index.html").bytes(), StandardCharsets.UTF_8);

    // nothing from elsewhere: the console works offline, and its policy allows only 'self'
    assertThat(index).doesNotContain("http://", "https://", "//cdn", "<style", "style=\"", "onclick=");
    for (String linked : new String[] {"console.css", "console.js", "favicon.svg"}) {
      assertThat(index).contains("\"" + linked + "\"");
      assertThat(files.find(linked).bytes()).isNotEmpty();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"..", "../pom.xml", "../../pom.xml", "a/../index.html", "./index.html", ".hidden.js",
      "..\\pom.xml", "index.html/", "/index.html", "a//b.js", "index.html\u0000.js", "C:\\x.js", "%2e%2e/pom.xml"})
  void find_refusesPathsThatAreNotPlainNames(String path) {
    assertThatThrownBy(() -> files.find(path))
        .isInstanceOf(BadRequestException.class)
        .hasMessageContaining("is not a console file");
  }

  @ParameterizedTest
  @ValueSource(strings = {"nope.js", "io/realtimeai/console/ConsoleFiles.class", "META-INF/MANIFEST.MF", "index", "console"})
  void find_answersNotFoundForAnythingElse(String path) {
    assertThatThrownBy(() -> files.find(path))
        .isInstanceOf(NotFoundException.class)
        .hasMessage("the console has no file '" + path + "'");
  }

  @Test
  void etag_changesWithTheContentAndIsMatchedAsIfNoneMatchAsks() {
    ConsoleFiles.File js = files.find("console.js");

    assertThat(js.etag()).matches("\"[0-9a-f]{24}\"").isNotEqualTo(files.find("console.css").etag());
    assertThat(js.matches(js.etag())).isTrue();
    assertThat(js.matches("W/" + js.etag())).isTrue();
    assertThat(js.matches("\"other\", " + js.etag())).isTrue();
    assertThat(js.matches("*")).isTrue();
    assertThat(js.matches("\"other\"")).isFalse();
    assertThat(js.matches(null)).isFalse();
  }
}
