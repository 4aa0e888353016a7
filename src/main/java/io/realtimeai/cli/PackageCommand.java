package io.realtimeai.cli;

import io.realtimeai.packaging.ModelPackager;
import io.realtimeai.pipeline.AcceleratedCatalog;
import java.nio.file.Path;
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
    packed.warnings().forEach(w -> System.err.println("warning: " + w));
    System.out.printf(Locale.ROOT, "wrote %s: %d files (%s), %.1f MiB, sha256 %s%n",
        packed.zip(), packed.files().size(), String.join(", ", packed.files()),
        packed.bytes() / (double) (1 << 20), packed.sha256());
    return 0;
  }
}
