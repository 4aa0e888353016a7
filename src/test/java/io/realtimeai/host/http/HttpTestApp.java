package io.realtimeai.host.http;

import io.realtimeai.host.FunctionIndex;
import io.realtimeai.host.FunctionInvoker;
import io.realtimeai.host.HostConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The test app of {@code src/test/resources/apps/http}: the {@code function.json} files
 * azure-functions-maven-plugin 1.35.0 wrote for the functions of {@code testfunctions}, loaded the
 * way the local host loads an app.
 */
final class HttpTestApp {
  private HttpTestApp() {}

  /** The app folder. */
  static Path dir() {
    try {
      return Path.of(HttpTestApp.class.getResource("/apps/http").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every function of the app, checked against its annotations, ready to invoke. */
  static List<FunctionInvoker> functions() throws IOException {
    ClassLoader classes = HttpTestApp.class.getClassLoader();
    return FunctionIndex.load(dir(), classes).stream().map(f -> FunctionInvoker.of(f, classes)).toList();
  }

  /** The host defaults with another route prefix. */
  static HostConfig withRoutePrefix(String prefix) {
    HostConfig d = HostConfig.defaults();
    return new HostConfig(prefix, d.maxConcurrentRequests(), d.queueBatchSize(), d.queueNewBatchThreshold(),
        d.maxDequeueCount(), d.visibilityTimeout(), d.maxPollingInterval(), d.blobPoisonThreshold(),
        d.blobParallelism(), d.functionTimeout());
  }

  /** A stream of {@code length} bytes made up as they are read, so a large body never sits in memory. */
  static InputStream generated(long length) {
    return new InputStream() {
      private long left = length;

      @Override
      public int read() {
        return left-- > 0 ? 'x' : -1;
      }

      @Override
      public int read(byte[] buffer, int offset, int count) {
        if (left <= 0) {
          return -1;
        }
        int n = (int) Math.min(count, left);
        Arrays.fill(buffer, offset, offset + n, (byte) 'x');
        left -= n;
        return n;
      }
    };
  }
}
