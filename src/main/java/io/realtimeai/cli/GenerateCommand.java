package io.realtimeai.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.realtimeai.generate.GraphStats;
import io.realtimeai.generate.ModelGenerator;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.generate.OnnxGraphBuilder;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code generate <kind> -o <file.onnx>}: writes an ONNX model with seeded random weights. */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = {
        "Writes an ONNX model (IR 8, opset 17) with seeded random weights, for tests and benchmarks.",
        "The same kind and seed always give the same bytes."
    })
public final class GenerateCommand implements Callable<Integer> {

  @Spec
  private CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "<kind>",
      converter = KindConverter.class,
      completionCandidates = KindNames.class,
      description = "One of: ${COMPLETION-CANDIDATES}.")
  private ModelKind kind;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "<file.onnx>", description = "Where to write the model.")
  private Path output;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the random weights (default: ${DEFAULT-VALUE}).")
  private long seed;

  @Option(names = "--spatial", description = "resnet50 only: keep the spatial dimensions, features [batch,2048,1,1].")
  private boolean spatial;

  /** Generates the model, writes it and prints one line of what was written. */
  @Override
  public Integer call() {
    if (spatial && kind != ModelKind.RESNET50) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--spatial applies to " + ModelKind.RESNET50 + " only");
    }
    long start = System.nanoTime();
    ModelProto model = ModelGenerator.generate(kind, seed, spatial);
    try {
      OnnxGraphBuilder.write(model, output);
      GraphStats stats = GraphStats.of(model);
      spec.commandLine().getOut().println(String.format(Locale.ROOT,
          "wrote %s to %s: %,d parameters (+%,d batch-norm statistics), %,d MACs per sample, %,d bytes in %.1f s",
          kind, output, stats.parameters(), stats.buffers(), stats.macs(), Files.size(output),
          (System.nanoTime() - start) / 1e9));
      return ExitCode.OK;
    } catch (IOException e) {
      // a FileSystemException's message is just the path, so name what went wrong by its class
      String reason = e instanceof FileSystemException f
          ? Objects.requireNonNullElse(f.getReason(), e.getClass().getSimpleName())
          : e.getMessage();
      spec.commandLine().getErr().println("generate: cannot write " + output + ": " + reason);
      return ExitCode.SOFTWARE;
    }
  }

  /** Turns a kind's name into the kind; picocli reports a failure as a usage error (exit code 2). */
  static final class KindConverter implements CommandLine.ITypeConverter<ModelKind> {
    @Override
    public ModelKind convert(String value) {
      return ModelKind.byId(value).orElseThrow(() -> new CommandLine.TypeConversionException(
          "unknown kind '" + value + "'; expected one of " + String.join(", ", ModelKind.ids())));
    }
  }

  /** The kind names, for the usage help. */
  static final class KindNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return ModelKind.ids().iterator();
    }
  }
}
