package io.realtimeai.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.realtimeai.error.InvalidPackageException;

/**
 * Fuzz target: the service definition parser on any bytes. A bad definition must be an
 * {@link InvalidPackageException} naming {@code service_def.json} or a field; anything else thrown
 * is a finding.
 */
class ServiceDefinitionsFuzzTest {
  @FuzzTest(maxDuration = "10m")
  void parse(byte[] json) {
    try {
      ServiceDefinition definition = ServiceDefinitions.parse(json);
      assertThat(definition.pipeline()).isNotEmpty();
    } catch (InvalidPackageException e) {
      assertThat(e.details()).isNotEmpty().allSatisfy(problem -> assertThat(problem).isNotBlank());
    }
  }
}
