package io.realtimeai.runtime;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.realtimeai.pipeline.CallTimings;
import io.realtimeai.pipeline.Pipeline;
import io.realtimeai.telemetry.Prometheus;
import io.realtimeai.telemetry.ServerTiming;
import io.realtimeai.telemetry.TraceContext;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The runtime's metrics and trace context, as the outermost interceptor of its Predict service: every
 * call (refused ones included) is counted under its method and gRPC status code and timed; the
 * caller's {@code traceparent} is adopted (or a trace started) and the runtime's own span is answered
 * in the trailers, with {@code server-timing: preprocess;dur=…, queue;dur=…, inference;dur=…} for a
 * Predict call the engine served.
 */
final class RuntimeMetrics implements ServerInterceptor {
  /** Where {@link PredictionService} notes the pipeline's timings of the current call. */
  static final Context.Key<CallTimings> TIMINGS = Context.key("realtime-ai-call-timings");

  static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of(TraceContext.HEADER, Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> SERVER_TIMING =
      Metadata.Key.of(ServerTiming.HEADER, Metadata.ASCII_STRING_MARSHALLER);

  private final MeterRegistry registry;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Timer preprocess;
  private final Timer queue;
  private final Timer inference;
  private final DistributionSummary batchSize;

  RuntimeMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("realtime_ai.runtime.in_flight_calls", inFlight, AtomicInteger::get)
        .description("Predict and metadata calls being served now").register(registry);
    preprocess = Prometheus.latency("realtime_ai.runtime.preprocess.duration",
        "Decoding and preprocessing the images of a Predict call").register(registry);
    queue = Prometheus.latency("realtime_ai.runtime.queue.duration",
        "Wait of a Predict call for the engine run that served it (dynamic batching)").register(registry);
    inference = Prometheus.latency("realtime_ai.runtime.inference.duration",
        "The engine run (every model stage) that served a Predict call").register(registry);
    batchSize = Prometheus.batchSizes("realtime_ai.runtime.batch.size",
        "Images in the engine run that served a Predict call, its own and those batched with it").register(registry);
  }

  /** Notes the served model: load time, accelerator and thread count (an info metric whose value is 1). */
  void loaded(Pipeline pipeline, String model, long loadNanos) {
    Gauge.builder("realtime_ai.runtime.model.load", () -> loadNanos / 1e9)
        .description("Seconds from the runtime's start to serving: download, load and warm-up")
        .baseUnit("seconds").tag("model", model).register(registry);
    // Not "_info": Prometheus' Java client reserves that suffix for its own Info type and strips it from a gauge.
    Gauge.builder("realtime_ai.runtime.engine", () -> 1)
        .description("The runtime's model, accelerator and ONNX Runtime intra-op threads (value always 1)")
        .tag("model", model)
        .tag("accelerator", pipeline.accelerator())
        .tag("intra_op_threads", Integer.toString(pipeline.engineThreads().intraOpThreads()))
        .register(registry);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    if (HealthGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    String method = call.getMethodDescriptor().getBareMethodName();
    long started = System.nanoTime();
    inFlight.incrementAndGet();
    TraceContext span = TraceContext.parse(headers.get(TRACEPARENT)).map(TraceContext::child)
        .orElseGet(TraceContext::newTrace);
    CallTimings timings = new CallTimings();
    AtomicBoolean ended = new AtomicBoolean();
    ServerCall<Q, R> noted = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        trailers.put(TRACEPARENT, span.header());
        if (timings.ran()) {
          trailers.put(SERVER_TIMING, ServerTiming.format(serverTiming(timings)));
        }
        end(ended, method, status.getCode().name(), started, timings);
        super.close(status, trailers);
      }
    };
    ServerCall.Listener<Q> listener = Contexts.interceptCall(Context.current().withValue(TIMINGS, timings),
        noted, headers, next);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onCancel() {
        // A call the client gave up (deadline, cancel) is never closed by the server.
        end(ended, method, Status.Code.CANCELLED.name(), started, timings);
        super.onCancel();
      }
    };
  }

  private void end(AtomicBoolean ended, String method, String code, long started, CallTimings timings) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    inFlight.decrementAndGet();
    Counter.builder("realtime_ai.runtime.requests").description("Calls by method and gRPC status code")
        .tag("method", method).tag("code", code).register(registry).increment();
    Prometheus.latency("realtime_ai.runtime.request.duration", "Calls by method and gRPC status code, start to end")
        .tag("method", method).tag("code", code).register(registry)
        .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    if (timings.ran()) {
      preprocess.record(timings.preprocessNanos(), TimeUnit.NANOSECONDS);
      queue.record(timings.queueNanos(), TimeUnit.NANOSECONDS);
      inference.record(timings.inferenceNanos(), TimeUnit.NANOSECONDS);
      batchSize.record(timings.batchRows());
    }
  }

  private static Map<String, Double> serverTiming(CallTimings timings) {
    Map<String, Double> parts = new LinkedHashMap<>();
    parts.put("preprocess", ServerTiming.millis(timings.preprocessNanos()));
    parts.put("queue", ServerTiming.millis(timings.queueNanos()));
    parts.put("inference", ServerTiming.millis(timings.inferenceNanos()));
    return parts;
  }
}
