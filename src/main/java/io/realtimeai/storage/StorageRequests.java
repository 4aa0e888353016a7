package io.realtimeai.storage;

import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpPipelineNextSyncPolicy;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import reactor.core.publisher.Mono;

/**
 * Counts the HTTP requests storage clients send, by method and service ({@code "PUT blob"}), so a
 * benchmark can say how many storage calls a piece of work costs. Every client {@link Storage}
 * opens counts into {@link #app()}; the count sits per retry, so each attempt on the wire counts.
 */
public final class StorageRequests {
  private static final StorageRequests APP = new StorageRequests();

  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

  /** A counter of its own, for clients that should not count as the app's. */
  public StorageRequests() {}

  /** The counter of every storage client the app (functions and the local host) opens in this JVM. */
  public static StorageRequests app() {
    return APP;
  }

  /** A pipeline policy counting each request into this counter under {@code "<method> <service>"}. */
  public HttpPipelinePolicy policy(String service) {
    return new HttpPipelinePolicy() {
      @Override
      public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
        count(context, service);
        return next.process();
      }

      @Override
      public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
        count(context, service);
        return next.processSync();
      }
    };
  }

  /** The counts so far, by kind, sorted. */
  public Map<String, Long> snapshot() {
    Map<String, Long> copy = new TreeMap<>();
    counts.forEach((kind, count) -> copy.put(kind, count.sum()));
    return copy;
  }

  /** What {@code after} adds to {@code before}, by kind; kinds that did not grow are left out. */
  public static Map<String, Long> since(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> grown = new TreeMap<>();
    after.forEach((kind, count) -> {
      long added = count - before.getOrDefault(kind, 0L);
      if (added > 0) {
        grown.put(kind, added);
      }
    });
    return grown;
  }

  private void count(HttpPipelineCallContext context, String service) {
    counts.computeIfAbsent(context.getHttpRequest().getHttpMethod() + " " + service, k -> new LongAdder()).increment();
  }
}
