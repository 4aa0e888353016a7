package io.realtimeai.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.realtimeai.generate.GraphStats;
import io.realtimeai.generate.ModelGenerator;
import io.realtimeai.generate.ModelKind;
import io.realtimeai.generate.OnnxGraphBuilder;
import io.realtimeai.generate.WalkthroughModels;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
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

/**
 * {@code generate <kind> -o <file.onnx>}: writes an ONNX model with seeded random weights; {@code generate
 * walkthrough -o <dir>} writes the Brainwave walkthrough's folder and catalog.
 */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = {
        "Writes an ONNX model (IR 8, opset 17) with seeded random weights, for tests and benchmarks.",
        "'walkthrough' writes the Brainwave walkthrough instead: <dir>/walkthrough/ (its service_def.json, "
            + "input_trans.pb and resnet50_classifier.pb, TensorFlow graphs) and <dir>/catalog/ (the resnet50/1.1.6-rc "
            + "featurizer it names), ready for 'package <dir>/walkthrough --catalog <dir>/catalog'.",
        "The same kind and seed always give the same bytes."
    })
public final class GenerateCommand implements Callable<Integer> {
  /** The kind that is not one ONNX model but the walkthrough's folders. */
  static final String WALKTHROUGH = "walkthrough";

  @Spec
  private CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "<kind>",
      converter = KindConverter.class,
      completionCandidates = KindNames.class,
      description = "One of: ${COMPLETION-CANDIDATES}.")
  private String kind;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "<file.onnx|dir>",
      description = "Where to write the model (walkthrough: the folder to write walkthrough/ and catalog/ into).")
  private Path output;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the random weights (default: ${DEFAULT-VALUE}).")
  private long seed;

  @Option(names = "--spatial", description = "resnet50 only: keep the spatial dimensions, features [batch,2048,1,1].")
  private boolean spatial;

  /** Generates the model (or the walkthrough), writes it and prints one line per thing written. */
  @Override
  public Integer call() {
    if (spatial && !ModelKind.RESNET50.id().equals(kind)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--spatial applies to " + ModelKind.RESNET50 + " only");
    }
    try {
      if (WALKTHROUGH.equals(kind)) {
        writeWalkthrough();
      } else {
        writeModel(ModelKind.byId(kind).orElseThrow());
      }
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

  private void writeModel(ModelKind modelKind) throws IOException {
    long start = System.nanoTime();
    ModelProto model = ModelGenerator.generate(modelKind, seed, spatial);
    OnnxGraphBuilder.write(model, output);
    GraphStats stats = GraphStats.of(model);
    spec.commandLine().getOut().println(String.format(Locale.ROOT,
        "wrote %s to %s: %,d parameters (+%,d batch-norm statistics), %,d MACs per sample, %,d bytes in %.1f s",
        modelKind, output, stats.parameters(), stats.buffers(), stats.macs(), Files.size(output),
        (System.nanoTime() - start) / 1e9));
  }

  private void writeWalkthrough() throws IOException {
    long start = System.nanoTime();
    WalkthroughModels.Written written = WalkthroughModels.write(output, seed);
    double seconds = (System.nanoTime() - start) / 1e9;
    PrintWriter out = spec.commandLine().getOut();
    out.println(String.format(Locale.ROOT,
        "wrote walkthrough to %s: service_def.json, input_trans.pb (%,d bytes), resnet50_classifier.pb "
            + "(%,d classes, %,d bytes) in %.1f s",
        written.folder(), Files.size(written.folder().resolve("input_trans.pb")), WalkthroughModels.CLASSES,
        Files.size(written.folder().resolve("resnet50_classifier.pb")), seconds));
    out.println(String.format(Locale.ROOT,
        "wrote catalog to %s: %s/%s (images float32 [batch,224,224,3] -> features float32 [batch,1,1,%d], %,d bytes)",
        written.catalog(), WalkthroughModels.CATALOG_ENTRY, written.featurizer().getFileName(),
        WalkthroughModels.FEATURES, Files.size(written.featurizer())));
  }

  /** Checks a kind's name; picocli reports a failure as a usage error (exit code 2). */
  static final class KindConverter implements CommandLine.ITypeConverter<String> {
    @Override
    public String convert(String value) {
      if (WALKTHROUGH.equals(value) || ModelKind.byId(value).isPresent()) {
        return value;
      }
      throw new CommandLine.TypeConversionException(
          "unknown kind '" + value + "'; expected one of " + String.join(", ", kindNames()));
    }
  }

  /** The kind names, for the usage help. */
  static final class KindNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return kindNames().iterator();
    }
  }

  /** Every ONNX kind, then the walkthrough. */
  private static List<String> kindNames() {
    List<String> names = new ArrayList<>(ModelKind.ids());
    names.add(WALKTHROUGH);
    return names;
  }
}
