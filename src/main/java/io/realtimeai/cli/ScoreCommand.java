package io.realtimeai.cli;

import io.grpc.StatusRuntimeException;
import io.realtimeai.client.Prediction;
import io.realtimeai.client.PredictionClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code realtime-ai score}: the gRPC client, top-N labels and the latency of each call. */
@Command(name = "score", mixinStandardHelpOptions = true,
    description = "Score images on a running service over gRPC and print the top labels with the latency of each call.")
final class ScoreCommand implements Callable<Integer> {
  @Option(names = "--address", required = true, paramLabel = "HOST:PORT", description = "The service's address.")
  String address;

  @Option(names = "--key", paramLabel = "KEY", description = "The service key (or REALTIME_AI_KEY).")
  String key;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--top", defaultValue = "5", description = "Labels to print per image (default: ${DEFAULT-VALUE}).")
  int top;

  @Option(names = "--tls", description = "Use TLS, trusting the system's certificate authorities.")
  boolean tls;

  @Option(names = "--tls-ca", paramLabel = "PEM", description = "Use TLS, trusting this certificate.")
  Path trustCertificate;

  @Option(names = "--batch", description = "Send every image in one call instead of one call per image.")
  boolean batch;

  @Option(names = "--deadline", defaultValue = "30", description = "Seconds one call may take (default: ${DEFAULT-VALUE}).")
  double deadlineSeconds;

  @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Image files (JPEG, PNG, BMP, GIF).")
  List<Path> images;

  @Override
  public Integer call() throws Exception {
    if (top < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--top: must be at least 1, got " + top);
    }
    List<byte[]> encoded = new ArrayList<>();
    for (Path image : images) {
      encoded.add(Files.readAllBytes(image));
    }
    PredictionClient.Builder builder = PredictionClient.builder(address)
        .key(key != null ? key : System.getenv("REALTIME_AI_KEY"))
        .deadline(Duration.ofMillis((long) (deadlineSeconds * 1000)));
    if (trustCertificate != null) {
      builder.trustCertificate(trustCertificate);
    } else if (tls) {
      builder.tls();
    }
    int failures = 0;
    try (PredictionClient client = builder.build()) {
      client.labels();
      if (batch) {
        long started = System.nanoTime();
        List<List<Prediction>> answers = client.classify(encoded, top);
        double millis = (System.nanoTime() - started) / 1e6;
        System.out.printf(Locale.ROOT, "%d images in one call: %.1f ms%n", encoded.size(), millis);
        for (int i = 0; i < images.size(); i++) {
          print(images.get(i), -1, answers.get(i));
        }
      } else {
        for (int i = 0; i < images.size(); i++) {
          long started = System.nanoTime();
          try {
            List<Prediction> answer = client.classify(List.of(encoded.get(i)), top).get(0);
            print(images.get(i), (System.nanoTime() - started) / 1e6, answer);
          } catch (StatusRuntimeException e) {
            failures++;
            System.err.println(images.get(i) + ": " + Main.message(e));
          }
        }
      }
    }
    return failures == 0 ? 0 : 1;
  }

  private static void print(Path image, double millis, List<Prediction> predictions) {
    System.out.println(image.getFileName() + (millis >= 0 ? String.format(Locale.ROOT, "  %.1f ms", millis) : ""));
    int rank = 1;
    for (Prediction p : predictions) {
      System.out.printf(Locale.ROOT, "  %d. %-28s %.4f  (%d)%n", rank++, p.label(), p.confidence(), p.index());
    }
  }
}
