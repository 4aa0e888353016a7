package io.realtimeai.cli;

import io.grpc.StatusRuntimeException;
import io.realtimeai.app.Logging;
import io.realtimeai.error.RealtimeAiException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code realtime-ai} command. Exit codes: 0 success, 1 the work failed, 2 bad usage. Errors
 * are one readable line on stderr; stack traces only with {@code --verbose}.
 */
@Command(
    name = "realtime-ai",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Real-time image inference: package, serve, score and benchmark models.",
    subcommands = {
      RuntimeCommand.class,
      PackageCommand.class,
      ScoreCommand.class,
      GenerateCommand.class,
      BenchCommand.class,
      UpCommand.class,
      UploadCommand.class,
      DropCommand.class,
      DemoCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
      description = "Print stack traces with errors.")
  boolean verbose;

  static {
    // One line per record, and quiet libraries: users read this output.
    Logging.configure();
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and answers its exit code. */
  public static int execute(String... args) {
    boolean verbose = Arrays.asList(args).contains("--verbose");
    CommandLine line = new CommandLine(new Main());
    line.setCaseInsensitiveEnumValuesAllowed(true);
    line.setExecutionExceptionHandler((e, commandLine, parsed) -> {
      report(commandLine.getErr(), e, verbose);
      return 1;
    });
    return line.execute(args);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
  }

  /** Prints a failure as one readable line (plus the details that belong to it). */
  static void report(PrintWriter err, Exception e, boolean verbose) {
    err.println("realtime-ai: " + message(e));
    if (e instanceof RealtimeAiException known && known.details().size() > 1) {
      known.details().forEach(detail -> err.println("  - " + detail));
    }
    if (verbose) {
      e.printStackTrace(err);
    }
    err.flush();
  }

  static String message(Throwable e) {
    if (e instanceof RealtimeAiException known) {
      // With several problems the headline stops before the list, which is printed line by line.
      String text = known.getMessage();
      return known.details().size() > 1 && text.contains("): ") ? text.substring(0, text.indexOf("): ") + 1) + ":" : text;
    }
    if (e instanceof StatusRuntimeException status) {
      return status.getStatus().getCode() + ": " + status.getStatus().getDescription();
    }
    if (e instanceof NoSuchFileException missing) {
      return "no such file: " + missing.getFile();
    }
    if (e instanceof AccessDeniedException denied) {
      return "permission denied: " + denied.getFile();
    }
    if (e instanceof UncheckedIOException unchecked) {
      return message(unchecked.getCause());
    }
    String text = e.getMessage();
    return text == null ? e.getClass().getSimpleName() : text;
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"realtime-ai " + (version == null ? "(development build)" : version)};
    }
  }
}
