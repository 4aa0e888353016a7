package io.realtimeai.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.data.tables.models.TableEntity;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How entries are keyed and kept in the {@code acceleratedmodels} table. */
class CatalogRowsTest {
  @Test
  void key_isTheNameItselfForValidNames() {
    assertThat(CatalogRows.key("resnet50")).isEqualTo("resnet50");
    assertThat(CatalogRows.key("1.0-rc_2")).isEqualTo("1.0-rc_2");
  }

  @Test
  void key_escapesWhatTableKeysRefuse() {
    assertThat(CatalogRows.key("a/b\\c#d?e")).isEqualTo("a%2Fb%5Cc%23d%3Fe");
    assertThat(CatalogRows.key("ü 1")).isEqualTo("%C3%BC%201");
    assertThat(CatalogRows.key("%41")).isNotEqualTo(CatalogRows.key("A")).isEqualTo("%2541");
  }

  @Test
  void key_ofAVeryLongNameIsItsHash() {
    String key = CatalogRows.key("#".repeat(200));

    assertThat(key).startsWith("%sha256-").hasSize(8 + 64);
    assertThat(CatalogRows.key("#".repeat(201))).isNotEqualTo(key);
  }

  @Test
  void row_keepsEveryFieldOfAnEntry() throws Exception {
    CatalogEntry entry = new CatalogEntry("tiny", "1", CatalogEntry.State.INVALID,
        List.of(new TensorSpec("images", "float32", List.of(-1L, 3L, 224L, 224L))),
        List.of(new TensorSpec("features", "float32", List.of(-1L, 8L)), new TensorSpec("map", "map", List.of())),
        "ab".repeat(32), 12345L, "a featurizer", new ObjectMapper().readTree("{\"mean\":[0.5,1]}"),
        List.of("model.json: unknown field 'x'"), Instant.parse("2025-03-01T10:00:00.123Z"), "\"0x1\"", "\"0x2\"");

    TableEntity row = CatalogRows.toRow(entry);

    assertThat(row.getPartitionKey()).isEqualTo("tiny");
    assertThat(row.getRowKey()).isEqualTo("1");
    assertThat(row.getProperty("State")).isEqualTo("Invalid");
    assertThat(row.getProperty("BlobETag")).isEqualTo("\"0x1\"");
    assertThat(CatalogRows.fromRow(row)).isEqualTo(entry);
  }

  @Test
  void row_leavesAbsentValuesOut() {
    CatalogEntry entry = new CatalogEntry("tiny", "1", CatalogEntry.State.VALID, List.of(), List.of(), "00", 1L,
        null, null, List.of(), Instant.parse("2025-03-01T10:00:00Z"), "\"0x1\"", null);

    TableEntity row = CatalogRows.toRow(entry);

    assertThat(row.getProperties()).doesNotContainKeys("Description", "Preprocessing", "ModelJsonETag");
    assertThat(CatalogRows.fromRow(row)).isEqualTo(entry);
  }
}
