package io.realtimeai.runtime;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import io.realtimeai.proto.serving.GetModelMetadataRequest;
import io.realtimeai.proto.serving.PredictionServiceGrpc;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The runtime's call to its own port before it reports SERVING. A fresh JVM's first gRPC
 * connection costs about 200 ms on the server side (Netty's HTTP/2 path, TLS, the key check,
 * protobuf, all loaded and compiled on first use); made here, that cost is paid during start-up
 * and not by the first client after a deployment, a scale-out or a replica restart.
 */
final class FirstCall {
  private static final Logger LOG = Logger.getLogger(FirstCall.class.getName());

  private FirstCall() {}

  /** One GetModelMetadata for every field, over loopback, as a client would ask it; never fails the start. */
  static void make(int port, RuntimeSettings settings) {
    ManagedChannel channel;
    try {
      channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, credentials(settings)).build();
    } catch (IOException | GeneralSecurityException e) {
      LOG.warning(() -> "skipped the warm-up call: cannot read the runtime's own certificate: " + e.getMessage());
      return;
    }
    try {
      Metadata headers = new Metadata();
      settings.keys().anyKey().ifPresent(key ->
          headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key));
      PredictionServiceGrpc.newBlockingStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .getModelMetadata(GetModelMetadataRequest.newBuilder()
              .addAllMetadataField(PredictionService.METADATA_FIELDS).build());
    } catch (RuntimeException e) {
      String why = e instanceof StatusRuntimeException status ? status.getStatus().toString() : e.toString();
      LOG.warning(() -> "the warm-up call to this runtime's own port failed (the first client pays for the first "
          + "connection instead): " + why);
    } finally {
      channel.shutdownNow();
    }
  }

  private static ChannelCredentials credentials(RuntimeSettings settings) throws IOException, GeneralSecurityException {
    if (!settings.tls()) {
      return InsecureChannelCredentials.create();
    }
    X509Certificate own;
    try (InputStream pem = Files.newInputStream(settings.tlsCertificate())) {
      own = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificates(pem).iterator().next();
    }
    return TlsChannelCredentials.newBuilder().trustManager(new OwnCertificate(own)).build();
  }

  /**
   * Trusts exactly the runtime's own certificate, whatever names it carries: the warm-up call
   * talks to this process over loopback, so the certificate itself is the identity.
   */
  static final class OwnCertificate extends X509ExtendedTrustManager {
    private final X509Certificate own;

    OwnCertificate(X509Certificate own) {
      this.own = own;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      if (chain == null || chain.length == 0 || !own.equals(chain[0])) {
        throw new CertificateException("not this runtime's own certificate");
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("the warm-up call checks no client certificate");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
