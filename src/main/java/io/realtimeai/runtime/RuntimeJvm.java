package io.realtimeai.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The JVM options every scoring runtime process starts with: the local provider's replicas, the
 * bench's runtime process, {@code ./realtime-ai runtime} and the container image's launcher all
 * pass these (the two shell launchers spell them out; a test keeps them equal to this list).
 *
 * <p>Chosen by measurement (ResNet-50, batch 1, runtime and client in separate processes on 2 cores,
 * three alternating runs of 600 warm-up and 400 timed calls each; README, Benchmark): the engine's
 * intra-op threads take every core during an inference, so whatever else the JVM runs meanwhile
 * lengthens that inference. The C2 compiler was the biggest such thing: at 30 calls a second the
 * serving path's methods reach C2's thresholds one by one over minutes, and each compilation
 * stalls the engine. Stopping at C1 ({@code TieredStopAtLevel=1}) compiles them within the first
 * few hundred calls, at no cost to the p50 (the work is native: ONNX Runtime and libjpeg), and cut
 * the p99 from 49–81 ms to 46–49 ms; the serial collector (no concurrent GC threads to compete
 * with the engine; young pauses of a few ms every few hundred calls) cut it to 44–48 ms.
 *
 * <p>The heap starts at 256 MiB, touched at start ({@code -Xms256m -XX:+AlwaysPreTouch}): otherwise the
 * old generation's pages become resident one by one as objects are promoted into it, and a replica's
 * resident memory creeps up for hours under steady load without anything leaking (the 30-minute soak
 * measured +10 % in steps), which would hide a real leak, and the page faults land during inferences.
 * The size is fixed rather than the JVM's default (a 64th of the machine's memory, or of the node's in a
 * pod without a memory limit) so that the cost does not grow with the machine: a replica serving
 * ResNet-50 held 33 MiB of live heap after 30 minutes, and the heap still grows past 256 MiB if a
 * larger batch needs it.
 */
public final class RuntimeJvm {
  /**
   * The options, in the order the launchers pass them. Options given after them override a value
   * ({@code -Xms1g}, {@code -XX:TieredStopAtLevel=4}); another collector needs {@code -XX:-UseSerialGC} too.
   */
  public static final List<String> OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xms256m",
      "-XX:+AlwaysPreTouch");

  /**
   * The environment variable whose words come after {@link #OPTIONS} in the runtimes this process starts (the
   * local provider's replicas, the bench's runtimes). Not {@code REALTIME_AI_JAVA_OPTS}: that one is the
   * launching JVM's own (a debugger port or a heap size meant for the host must not reach every replica).
   */
  public static final String USER_OPTIONS = "REALTIME_AI_RUNTIME_JAVA_OPTS";

  /** {@link #OPTIONS} followed by the words of {@code REALTIME_AI_RUNTIME_JAVA_OPTS} in this process's environment. */
  public static List<String> options() {
    return options(System.getenv(USER_OPTIONS));
  }

  /** {@link #OPTIONS} followed by the words of {@code user}. */
  public static List<String> options(String user) {
    List<String> options = new ArrayList<>(OPTIONS);
    if (user != null && !user.isBlank()) {
      options.addAll(Arrays.asList(user.strip().split("\\s+")));
    }
    return options;
  }

  private RuntimeJvm() {}
}
