package io.realtimeai.runtime;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.realtimeai.testing.TestCertificates;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The warm-up call trusts the runtime's own certificate and nothing else. */
class FirstCallTest {
  @TempDir Path dir;

  private static X509Certificate read(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  @Test
  void ownCertificate_trustsExactlyTheRuntimesOwn() throws Exception {
    X509Certificate own = read(TestCertificates.selfSigned(dir.resolve("own")).certificate());
    X509Certificate other = read(TestCertificates.selfSigned(dir.resolve("other")).certificate());
    FirstCall.OwnCertificate trust = new FirstCall.OwnCertificate(own);

    assertThatCode(() -> trust.checkServerTrusted(new X509Certificate[] {own}, "RSA")).doesNotThrowAnyException();
    assertThatThrownBy(() -> trust.checkServerTrusted(new X509Certificate[] {other}, "RSA"))
        .isInstanceOf(CertificateException.class).hasMessageContaining("not this runtime's own certificate");
    assertThatThrownBy(() -> trust.checkServerTrusted(new X509Certificate[] {other, own}, "RSA"))
        .isInstanceOf(CertificateException.class);
    assertThatThrownBy(() -> trust.checkServerTrusted(new X509Certificate[0], "RSA")).isInstanceOf(CertificateException.class);
    assertThatThrownBy(() -> trust.checkClientTrusted(new X509Certificate[] {own}, "RSA"))
        .isInstanceOf(CertificateException.class);
  }
}
