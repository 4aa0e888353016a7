package io.realtimeai.pipeline;

import java.util.List;

/**
 * The parsed {@code service_def.json} of a model package, with the field names of the Brainwave
 * service definition.
 *
 * @param amlRuntimeVersion the Brainwave runtime version the document was written for (informational)
 * @param pipeline the stages, run in order
 * @param labels the labels file inside the package, one label per line in class-index order
 * @param output naming and post-processing of the final output
 * @param batching dynamic batching of concurrent calls (null: off, every call runs on its own)
 */
public record ServiceDefinition(
    String amlRuntimeVersion, List<Stage> pipeline, String labels, OutputSpec output, Batching batching) {
  /** The name of the definition file at the root of every package. */
  public static final String FILE_NAME = "service_def.json";

  public ServiceDefinition {
    pipeline = pipeline == null ? List.of() : List.copyOf(pipeline);
    output = output == null ? OutputSpec.defaults() : output;
  }

  /** The image stage when the pipeline starts with one. */
  public java.util.Optional<ImageStage> imageStage() {
    return !pipeline.isEmpty() && pipeline.get(0) instanceof ImageStage image
        ? java.util.Optional.of(image)
        : java.util.Optional.empty();
  }
}
