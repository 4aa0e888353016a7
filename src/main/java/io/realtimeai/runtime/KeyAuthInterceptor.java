package io.realtimeai.runtime;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;

/**
 * Refuses calls without an accepted key in the {@code authorization} metadata with
 * {@code UNAUTHENTICATED}. Health checks pass without a key, so probes need no secret.
 */
final class KeyAuthInterceptor implements ServerInterceptor {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final KeyRing keys;

  KeyAuthInterceptor(KeyRing keys) {
    this.keys = keys;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (HealthGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    String authorization = headers.get(AUTHORIZATION);
    if (!keys.accepts(authorization)) {
      String reason = authorization == null
          ? "missing key: send it in the 'authorization' metadata as 'Bearer <key>'"
          : "the key in the 'authorization' metadata is not valid for this service";
      call.close(Status.UNAUTHENTICATED.withDescription(reason), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }
}
