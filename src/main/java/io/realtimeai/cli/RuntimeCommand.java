package io.realtimeai.cli;

import io.realtimeai.packaging.ModelPackage;
import io.realtimeai.packaging.PackageArchive;
import io.realtimeai.packaging.PackageLimits;
import io.realtimeai.pipeline.AcceleratedCatalog;
import io.realtimeai.pipeline.Accelerator;
import io.realtimeai.pipeline.Pipeline;
import io.realtimeai.pipeline.PipelineOptions;
import io.realtimeai.runtime.KeyRing;
import io.realtimeai.runtime.PackageSource;
import io.realtimeai.runtime.RuntimeSettings;
import io.realtimeai.runtime.ScoringRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code realtime-ai runtime}: one scoring service, standalone. */
@Command(name = "runtime", mixinStandardHelpOptions = true,
    description = {
      "Serve one model package over TensorFlow Serving's gRPC Predict API.",
      "Keys may also come from the environment variable REALTIME_AI_KEYS (comma-separated).",
      "Blob URLs (--package, --catalog) are read with a SAS in their query, else the storage connection string in"
          + " REALTIME_AI_STORAGE, else DefaultAzureCredential (AZURE_CLIENT_ID picks a user-assigned identity)."
    })
final class RuntimeCommand implements Callable<Integer> {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--package", required = true, paramLabel = "ZIP|DIR|URL",
      description = "The model package: a zip, a folder, or a blob URL of a zip (downloaded into the work folder).")
  String packageLocation;

  @Option(names = "--package-sha256", paramLabel = "HEX",
      description = "The SHA-256 the package zip must have (checked before it is read).")
  String packageSha256;

  @Option(names = "--catalog", paramLabel = "DIR|URL",
      description = "Accelerated model catalog: {model_ref}/{model_version}/model.onnx, as a folder or the URL of a blob"
          + " container (only the entries the package names are downloaded).")
  String catalog;

  @Option(names = "--max-download-bytes", paramLabel = "BYTES", defaultValue = "" + PackageSource.DEFAULT_MAX_DOWNLOAD_BYTES,
      description = "Largest blob downloaded for --package or --catalog (default: ${DEFAULT-VALUE}).")
  long maxDownloadBytes;

  @Option(names = "--port", defaultValue = "" + RuntimeSettings.DEFAULT_PORT,
      description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--port-file", paramLabel = "FILE", description = "Write the port here once listening.")
  Path portFile;

  @Option(names = "--health-port", paramLabel = "PORT",
      description = "Also answer grpc.health.v1.Health, and only that, in plaintext without a key on this port (0 picks"
          + " a free one): for probes that speak no TLS. NOT_SERVING until the model is loaded and warm.")
  Integer healthPort;

  @Option(names = "--health-port-file", paramLabel = "FILE", description = "Write the health port here once listening.")
  Path healthPortFile;

  @Option(names = "--metrics-port", paramLabel = "PORT",
      description = "Serve Prometheus metrics at http://HOST:PORT/metrics (plaintext, no key; 0 picks a free one)."
          + " Off unless given.")
  Integer metricsPort;

  @Option(names = "--ready-file", paramLabel = "FILE",
      description = "Write the port, accelerator, pid and metrics port here (JSON) once serving.")
  Path readyFile;

  @Option(names = "--replica-id", paramLabel = "ID",
      description = "Answer every call with the header realtime-ai-replica: ID.")
  String replicaId;

  @Option(names = "--name", defaultValue = "default", description = "Model name answered in model_spec.")
  String name;

  @Option(names = "--key", paramLabel = "KEY", description = "A key calls must carry (repeatable).")
  List<String> keys = new ArrayList<>();

  @Option(names = "--key-file", paramLabel = "FILE",
      description = "Keys, one per line; re-read when the file changes.")
  Path keyFile;

  @Option(names = "--tls-cert", paramLabel = "PEM", description = "TLS certificate chain.")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "TLS private key (PKCS#8).")
  Path tlsKey;

  @Option(names = "--max-message-bytes", defaultValue = "" + RuntimeSettings.DEFAULT_MAX_INBOUND_MESSAGE_BYTES,
      description = "Largest request accepted (default: ${DEFAULT-VALUE}).")
  int maxMessageBytes;

  @Option(names = "--intra-op-threads", defaultValue = "0",
      description = "ONNX Runtime intra-op threads per model; 0 (default) chooses from the usable cores: cgroup quota and CPU affinity, all of them up to 4, one left for gRPC above.")
  int intraOpThreads;

  @Option(names = "--warm-up-batch", defaultValue = "" + PipelineOptions.DEFAULT_WARM_UP_BATCH, paramLabel = "N",
      description = "Before SERVING, run one batch of N synthetic items too, so the engine's memory is at the size the"
          + " largest calls need before the first of them (default: ${DEFAULT-VALUE}, the most images the app's folder"
          + " scoring sends in one call; 1: single items only).")
  int warmUpBatch;

  @Option(names = "--accelerator", defaultValue = "auto",
      description = "auto, cpu, cuda or tensorrt (default: ${DEFAULT-VALUE}).")
  Accelerator accelerator;

  @Option(names = "--max-image-pixels", defaultValue = "40000000",
      description = "Images whose header claims more pixels are refused (default: ${DEFAULT-VALUE}).")
  long maxImagePixels;

  @Option(names = "--max-entries", defaultValue = "1000", description = "Most entries a package zip may hold.")
  int maxEntries;

  @Option(names = "--max-package-bytes", defaultValue = "4294967296",
      description = "Most bytes a package may inflate to.")
  long maxPackageBytes;

  @Option(names = "--work-dir", paramLabel = "DIR", description = "Where a package zip is extracted (default: a temporary folder).")
  Path workDir;

  @Override
  public Integer call() throws Exception {
    // a port no socket can have is bad usage (exit 2), found before the package is read
    if (port < 0 || port > 65535) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--port: must be between 0 and 65535, got " + port);
    }
    if (metricsPort != null && (metricsPort < 0 || metricsPort > 65535)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--metrics-port: must be between 0 and 65535, got " + metricsPort);
    }
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--tls-cert and --tls-key go together");
    }
    if (healthPortFile != null && healthPort == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--health-port-file needs --health-port");
    }
    if (packageSha256 != null && !SHA256.matcher(packageSha256).matches()) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--package-sha256: '" + packageSha256 + "' is not a SHA-256 (64 hex digits)");
    }
    String expectedSha256 = packageSha256 == null ? null : packageSha256.toLowerCase(Locale.ROOT);
    String fromEnvironment = System.getenv("REALTIME_AI_KEYS");
    if (fromEnvironment != null) {
      keys.addAll(List.of(fromEnvironment.split(",")));
    }
    KeyRing keyRing = keyFile == null ? KeyRing.of(keys) : KeyRing.of(keys, keyFile);
    RuntimeSettings settings = new RuntimeSettings(name, port, portFile, keyRing, tlsCert, tlsKey,
        maxMessageBytes, Duration.ofSeconds(30), readyFile, replicaId);
    if (healthPort != null) {
      settings = settings.withHealthPort(healthPort, healthPortFile);
    }
    if (metricsPort != null) {
      settings = settings.withMetricsPort(metricsPort);
    }
    PipelineOptions options = PipelineOptions.serving()
        .withAccelerator(accelerator)
        .withIntraOpThreads(intraOpThreads)
        .withMaxImagePixels(maxImagePixels);
    try {
      options = options.withWarmUpBatch(warmUpBatch);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--warm-up-batch: " + e.getMessage());
    }
    boolean temporary = workDir == null;
    Path work = temporary ? Files.createTempDirectory("realtime-ai-runtime-") : workDir;

    long started = System.nanoTime();
    ScoringRuntime runtime = new ScoringRuntime(settings);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        runtime.stop();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        if (temporary) {
          PackageArchive.deleteTree(work);
        }
        // stderr, since the logging system may already be shut down by its own hook
        System.err.println("realtime-ai runtime: stopped");
      }
    }, "runtime-shutdown"));
    runtime.listen();
    PackageSource source = new PackageSource(work, maxDownloadBytes, System.getenv(PackageSource.STORAGE_ENV), System.out);
    System.out.println("listening on port " + runtime.port()
        + (runtime.healthPort() < 0 ? "" : " (health on port " + runtime.healthPort() + ")")
        + (runtime.metricsPort() < 0 ? "" : " (metrics on http://localhost:" + runtime.metricsPort() + "/metrics)")
        + "; loading "
        + PackageSource.withoutQuery(packageLocation) + " …");
    Path packagePath = source.fetchPackage(packageLocation, expectedSha256);
    ModelPackage modelPackage = ModelPackage.open(packagePath, new PackageLimits(maxEntries, maxPackageBytes), work);
    if (PackageSource.isUrl(packageLocation)) {
      // Extracted now: the downloaded zip would only double the disk a large package takes.
      Files.deleteIfExists(packagePath);
    }
    AcceleratedCatalog acceleratedCatalog = source.fetchCatalog(catalog, modelPackage.definition());
    Pipeline pipeline = Pipeline.load(modelPackage.root(), modelPackage.definition(), acceleratedCatalog, options);
    System.out.println("warming up …");
    runtime.serve(pipeline);
    System.out.printf(Locale.ROOT, "serving '%s' on port %d: %s, %s, %s, %s; ready in %.1f s%n",
        name, runtime.port(), pipeline.accelerator(), pipeline.engineThreads().describe(),
        settings.tls() ? "TLS" : "plaintext",
        keyRing.required() ? "key required" : "no key", (System.nanoTime() - started) / 1e9);
    System.out.flush();
    runtime.blockUntilShutdown();
    return 0;
  }
}
