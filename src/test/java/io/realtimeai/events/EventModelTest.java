package io.realtimeai.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Arrays;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Event types, subjects and ids as DESIGN §6 names them. */
class EventModelTest {
  @Test
  void eventTypes_carryTheWireNamesOfTheDesign() {
    assertThat(Arrays.stream(EventType.values()).map(EventType::wireName)).containsExactly(
        "RealtimeAI.ModelRegistered", "RealtimeAI.ModelRejected", "RealtimeAI.ModelDeleted",
        "RealtimeAI.ServiceDeployed", "RealtimeAI.ServiceDeploymentFailed", "RealtimeAI.ServiceDeleted",
        "RealtimeAI.ImageScored", "RealtimeAI.ImageScoringFailed");
  }

  @Test
  void subjects_spellModelsServicesAndImagesAsTheDesignDoes() {
    assertThat(Subjects.model("resnet50", "3")).isEqualTo("/models/resnet50/versions/3");
    assertThat(Subjects.service("cats")).isEqualTo("/services/cats");
    assertThat(Subjects.image("cats", "2025/01/tabby.jpg")).isEqualTo("/services/cats/images/2025/01/tabby.jpg");
    assertThat(Subjects.image("cats", "/tabby.jpg")).isEqualTo("/services/cats/images/tabby.jpg");
  }

  @Test
  void subjects_refuseEmptyNamesAndSlashesInNames() {
    assertThatThrownBy(() -> Subjects.service(" ")).hasMessageContaining("service name");
    assertThatThrownBy(() -> Subjects.model("a/b", "1")).hasMessageContaining("model name must not contain '/'");
    assertThatThrownBy(() -> Subjects.image("cats", "")).hasMessageContaining("image path");
  }

  @Test
  void eventIds_areTheSameForTheSameStateChange() {
    String first = EventIds.of(EventType.MODEL_REGISTERED, "/models/m/versions/1", "m:1");
    String again = EventIds.of(EventType.MODEL_REGISTERED, "/models/m/versions/1", "m:1");

    assertThat(again).isEqualTo(first);
    assertThat(UUID.fromString(first).version()).isEqualTo(5);
  }

  @Test
  void eventIds_differWhenTypeSubjectOrKeyDiffers() {
    String id = EventIds.of(EventType.MODEL_REGISTERED, "/models/m/versions/1", "m:1");

    assertThat(EventIds.of(EventType.MODEL_REJECTED, "/models/m/versions/1", "m:1")).isNotEqualTo(id);
    assertThat(EventIds.of(EventType.MODEL_REGISTERED, "/models/m/versions/2", "m:1")).isNotEqualTo(id);
    assertThat(EventIds.of(EventType.MODEL_REGISTERED, "/models/m/versions/1", "m:2")).isNotEqualTo(id);
    // Parts are delimited: moving a character from one part to the next names another event.
    assertThat(EventIds.of(EventType.IMAGE_SCORED, "/a", "bc")).isNotEqualTo(EventIds.of(EventType.IMAGE_SCORED, "/ab", "c"));
  }

  @Test
  void event_keepsItsDataAsRecordedWhateverCallersDoWithTheirTrees() {
    ObjectNode data = JsonNodeFactory.instance.objectNode().put("label", "tabby");
    Event event = new Event("id", "RealtimeAI.ImageScored", "/services/cats", data, Instant.EPOCH, Event.DATA_VERSION);

    data.put("label", "changed");
    ((ObjectNode) event.data()).put("label", "changed too");

    assertThat(event.data().get("label").asText()).isEqualTo("tabby");
  }

  @Test
  void event_withoutDataHasAnEmptyObject() {
    Event event = new Event("id", "RealtimeAI.ModelDeleted", "/models/m/versions/1", null, Instant.EPOCH, "1.0");

    assertThat(event.data().isObject()).isTrue();
    assertThat(event.data().size()).isZero();
  }
}
