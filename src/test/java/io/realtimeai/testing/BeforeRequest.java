package io.realtimeai.testing;

import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpPipelineNextSyncPolicy;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.TableClientBuilder;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.publisher.Mono;

/**
 * A race, made to happen: runs {@code action} once, just before the first request of {@code method} whose decoded
 * URL contains {@code urlPart} goes to storage — as another process (the retention, a second replica) would act
 * between a client's read and its write.
 */
public final class BeforeRequest implements HttpPipelinePolicy {
  private final HttpMethod method;
  private final String urlPart;
  private final Runnable action;
  private final AtomicBoolean done = new AtomicBoolean();

  /** Runs {@code action} before the first {@code method} request whose URL, decoded, contains {@code urlPart}. */
  public BeforeRequest(HttpMethod method, String urlPart, Runnable action) {
    this.method = method;
    this.urlPart = urlPart;
    this.action = action;
  }

  /** {@code name} on Azurite's table endpoint, its requests passing through {@code race}. */
  public static TableClient table(String connectionString, String name, BeforeRequest race) {
    return new TableClientBuilder().connectionString(connectionString).tableName(name).addPolicy(race).buildClient();
  }

  /** Whether the action ran. */
  public boolean happened() {
    return done.get();
  }

  private void maybeAct(HttpPipelineCallContext context) {
    if (context.getHttpRequest().getHttpMethod() == method
        && URLDecoder.decode(context.getHttpRequest().getUrl().toString(), StandardCharsets.UTF_8).contains(urlPart)
        && done.compareAndSet(false, true)) {
      action.run();
    }
  }

  @Override
  public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
    return Mono.fromRunnable(() -> maybeAct(context)).then(Mono.defer(next::process));
  }

  @Override
  public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
    maybeAct(context);
    return next.processSync();
  }
}
