package io.realtimeai.cli;

import io.realtimeai.packaging.ModelPackager;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.pipeline.Pipeline;
import io.realtimeai.pipeline.Shapes;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code realtime-ai package}: check a model folder and write its package zip, offline. */
@Command(name = "package", mixinStandardHelpOptions = true,
    description = "Validate a model folder (service_def.json and the files it names) and write its package zip.")
final class PackageCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "DIR", description = "The model folder.")
  Path folder;

  @Option(names = {"-o", "--output"}, paramLabel = "ZIP", description = "The package to write (default: <folder>.zip).")
  Path output;

  @Option(names = "--catalog", paramLabel = "DIR",
      description = "Accelerated model catalog to check accelerated stages against.")
  Path catalog;

  @Override
  public Integer call() throws Exception {
    Path zip = output != null ? output : folder.toAbsolutePath().normalize().resolveSibling(
        folder.toAbsolutePath().normalize().getFileName() + ".zip");
    ModelPackager.Packed packed = ModelPackager.pack(folder, zip, new AcceleratedCatalog(catalog));
    packed.pipeline().warnings().forEach(w -> System.err.println("warning: " + w));
    System.out.print(describe(packed.pipeline()));
    System.out.printf(Locale.ROOT, "wrote %s: %d files (%s), %.1f MiB, sha256 %s%n",
        packed.zip(), packed.files().size(), String.join(", ", packed.files()),
        packed.bytes() / (double) (1 << 20), packed.sha256());
    return 0;
  }

  /**
   * The pipeline as checking understood it, one line per stage (its model, what it takes and what
   * it gives), then the labels: what a user compares with what they meant before uploading.
   */
  static String describe(Pipeline.Validation pipeline) {
    StringBuilder out = new StringBuilder("pipeline:\n");
    List<Pipeline.StageSignature> stages = pipeline.stages();
    for (int i = 0; i < stages.size(); i++) {
      Pipeline.StageSignature stage = stages.get(i);
      out.append(String.format(Locale.ROOT, "  [%d] %-11s %s%n      in  %s%n      out %s%n", i, stage.type(),
          stage.model() == null ? "" : stage.model(),
          tensor(stage.input(), stage.inputType(), stage.inputShape()),
          tensor(stage.output(), stage.outputType(), stage.outputShape())));
    }
    out.append(pipeline.labels() == 0 ? "  labels: none (answers carry class indexes, not names)\n"
        : "  labels: " + pipeline.labels() + "\n");
    return out.toString();
  }

  private static String tensor(String name, String type, List<Long> shape) {
    String dims = shape == null ? "[?…]" : Shapes.describe(shape.stream().mapToLong(Long::longValue).toArray());
    return (name == null ? "(decoded image)" : name) + "  " + type + dims;
  }
}
