package io.realtimeai.host.http.testfunctions;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Functions that fail, take their time, or return a plain value instead of a response. */
public final class LifecycleFunctions {
  /** Counted down when {@code Slow} has started. */
  public static volatile CountDownLatch slowStarted = new CountDownLatch(1);
  /** {@code Slow} finishes once this is counted down. */
  public static volatile CountDownLatch slowRelease = new CountDownLatch(1);

  /** What {@code Version} returns. */
  public record VersionInfo(String name, int major) {}

  @FunctionName("Fail")
  public String fail(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "fail",
          authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
      ExecutionContext context) {
    throw new IllegalStateException("boom");
  }

  @FunctionName("Slow")
  public String slow(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "slow",
          authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request)
      throws InterruptedException {
    slowStarted.countDown();
    if (!slowRelease.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("never released");
    }
    return "done";
  }

  /** Returns a record, not a response: the host answers 200 with it as JSON. */
  @FunctionName("Version")
  public VersionInfo version(
      @HttpTrigger(name = "request", methods = {HttpMethod.GET}, route = "version",
          authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request) {
    return new VersionInfo("realtime-ai", 1);
  }
}
