package io.realtimeai.host.triggers;

import io.realtimeai.host.FunctionDescriptor;
import io.realtimeai.host.FunctionIndex;
import io.realtimeai.host.FunctionInvoker;
import io.realtimeai.host.HostConfig;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The test functions of {@code src/test/resources/apps/triggers}, loaded as the local host loads an
 * app (each {@code function.json} checked against its annotations), and a short-fused host.json.
 */
final class TriggerTestApp {
  private static List<FunctionDescriptor> functions;

  private TriggerTestApp() {}

  /** The invoker of one test function. */
  static synchronized FunctionInvoker function(String name) throws Exception {
    if (functions == null) {
      functions = FunctionIndex.load(appDir(), TriggerTestApp.class.getClassLoader());
    }
    FunctionDescriptor descriptor = functions.stream().filter(f -> f.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no test function " + name));
    return FunctionInvoker.of(descriptor, TriggerTestApp.class.getClassLoader());
  }

  /** The app folder. */
  static Path appDir() throws URISyntaxException {
    return Path.of(TriggerTestApp.class.getResource("/apps/triggers").toURI());
  }

  /**
   * host.json for tests: batches of 4 fetched again when none is left in flight, 3 attempts,
   * retries after 100 ms, empty queues polled at most every 200 ms, two blob invocations at once.
   */
  static HostConfig config() {
    return config(4, 0);
  }

  /** As {@link #config()}, with another batch size and threshold. */
  static HostConfig config(int batchSize, int newBatchThreshold) {
    return new HostConfig("api", 100, batchSize, newBatchThreshold, 3, Duration.ofMillis(100), Duration.ofMillis(200),
        3, 2, Duration.ofMinutes(1));
  }

  /** Waits, polling, until {@code condition} holds; fails naming {@code what} after 20 s. */
  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("gave up waiting until " + what);
      }
      Thread.sleep(20);
    }
  }
}
