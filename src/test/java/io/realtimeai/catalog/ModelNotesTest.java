package io.realtimeai.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Reading {@code model.json}: what it may say, and a reason for each thing it gets wrong. */
class ModelNotesTest {
  private static ModelNotes.Parsed parse(String json) {
    return ModelNotes.parse(json.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void parse_readsEveryField() {
    ModelNotes.Parsed parsed = parse("{ 'description': 'ResNet-50 featurizer', 'input_tensor': 'images',"
        + " 'output_tensor': 'features:0', 'preprocessing': { 'color_order': 'BGR' } }");

    assertThat(parsed.problems()).isEmpty();
    assertThat(parsed.notes().description()).isEqualTo("ResNet-50 featurizer");
    assertThat(parsed.notes().inputTensor()).isEqualTo("images");
    assertThat(parsed.notes().outputTensor()).isEqualTo("features:0");
    assertThat(parsed.notes().preprocessing().get("color_order").asText()).isEqualTo("BGR");
  }

  @Test
  void parse_acceptsAnEmptyObjectAndNulls() {
    ModelNotes.Parsed parsed = parse("{ 'description': null, 'preprocessing': null }");

    assertThat(parsed.problems()).isEmpty();
    assertThat(parsed.notes()).isEqualTo(ModelNotes.NONE);
  }

  @Test
  void parse_malformedJsonNamesLineAndColumn() {
    assertThat(parse("{\n  'description': 'x',\n  oops\n}").problems()).singleElement().asString()
        .startsWith("model.json: invalid JSON at line 3, column 3: ");
  }

  @Test
  void parse_trailingContentIsMalformed() {
    assertThat(parse("{} {}").problems()).singleElement().asString().startsWith("model.json: invalid JSON");
  }

  @Test
  void parse_duplicateFieldIsMalformed() {
    assertThat(parse("{ 'description': 'a', 'description': 'b' }").problems()).singleElement().asString()
        .startsWith("model.json: invalid JSON").contains("description");
  }

  @Test
  void parse_refusesWhatIsNotAnObject() {
    assertThat(parse("[1, 2]").problems()).containsExactly("model.json: must be a JSON object, not an array");
    assertThat(parse("").problems()).containsExactly("model.json: is empty; write a JSON object or delete the file");
  }

  @Test
  void parse_reportsEveryWrongFieldAtOnce() {
    assertThat(parse("{ 'descripton': 'typo', 'input_tensor': 3, 'preprocessing': [1] }").problems()).containsExactly(
        "model.json: unknown field 'descripton' (known: description, preprocessing, input_tensor, output_tensor)",
        "model.json: input_tensor: must be a string, not a number",
        "model.json: preprocessing: must be a JSON object, not an array");
  }

  @Test
  void parse_refusesAFileAboveTheLimitUnread() {
    byte[] large = new byte[ModelNotes.MAX_BYTES + 1];

    assertThat(ModelNotes.parse(large).problems()).containsExactly("model.json: is larger than 16 KiB");
  }
}
