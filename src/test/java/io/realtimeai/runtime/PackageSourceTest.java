package io.realtimeai.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.storage.blob.BlobUrlParts;
import io.realtimeai.error.BadRequestException;
import io.realtimeai.runtime.PackageSource.Credential;
import io.realtimeai.storage.Storage;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link PackageSource} makes of its option strings, without storage. */
class PackageSourceTest {
  private static final String AZURITE = Storage.azuriteConnectionString(10000, 10001, 10002);
  private static final String PATH_STYLE = "http://127.0.0.1:10000/devstoreaccount1/models/tiny%20model/v1/model.zip";
  private static final String ACCOUNT_STYLE = "https://acct.blob.core.windows.net/models/tiny%20model/v1/model.zip";

  @Test
  void isUrl_acceptsHttpAndHttpsOnly() {
    assertThat(PackageSource.isUrl(ACCOUNT_STYLE)).isTrue();
    assertThat(PackageSource.isUrl(PATH_STYLE)).isTrue();
    assertThat(PackageSource.isUrl("HTTPS://acct.blob.core.windows.net/models/a.zip")).isTrue();
    assertThat(PackageSource.isUrl("/tmp/model.zip")).isFalse();
    assertThat(PackageSource.isUrl("model.zip")).isFalse();
    assertThat(PackageSource.isUrl("C:\\models\\model.zip")).isFalse();
  }

  @Test
  void withoutQuery_stripsTheSasAndKeepsThePath() {
    assertThat(PackageSource.withoutQuery(ACCOUNT_STYLE + "?sv=2023-11-03&sr=b&sig=abc%2Bdef%3D&sp=r"))
        .isEqualTo(ACCOUNT_STYLE);
    assertThat(PackageSource.withoutQuery(ACCOUNT_STYLE + "#fragment")).isEqualTo(ACCOUNT_STYLE);
    assertThat(PackageSource.withoutQuery(ACCOUNT_STYLE)).isEqualTo(ACCOUNT_STYLE);
  }

  @Test
  void blobUrlParts_readsPathStyleAndAccountStyleUrlsWithEncodedSegments() {
    BlobUrlParts azurite = BlobUrlParts.parse(PATH_STYLE);
    assertThat(azurite.getAccountName()).isEqualTo("devstoreaccount1");
    assertThat(azurite.getBlobContainerName()).isEqualTo("models");
    assertThat(azurite.getBlobName()).isEqualTo("tiny model/v1/model.zip");
    BlobUrlParts cloud = BlobUrlParts.parse(ACCOUNT_STYLE);
    assertThat(cloud.getAccountName()).isEqualTo("acct");
    assertThat(cloud.getBlobContainerName()).isEqualTo("models");
    assertThat(cloud.getBlobName()).isEqualTo("tiny model/v1/model.zip");
  }

  @Test
  void credential_prefersTheUrlsSasThenTheConnectionStringThenDefaultAzureCredential() {
    assertThat(source(AZURITE).credential(PATH_STYLE + "?sv=2023-11-03&sig=abc")).isEqualTo(Credential.SAS);
    assertThat(source(AZURITE).credential(PATH_STYLE)).isEqualTo(Credential.ACCOUNT_KEY);
    assertThat(source("BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature=sv=2023&sig=x")
        .credential(ACCOUNT_STYLE)).isEqualTo(Credential.CONNECTION_SAS);
    assertThat(source(null).credential(ACCOUNT_STYLE)).isEqualTo(Credential.DEFAULT_AZURE_CREDENTIAL);
    assertThat(source("  ").credential(ACCOUNT_STYLE)).isEqualTo(Credential.DEFAULT_AZURE_CREDENTIAL);
  }

  @Test
  void credential_refusesAConnectionStringOfAnotherAccount() {
    assertThatThrownBy(() -> source(AZURITE).credential(ACCOUNT_STYLE))
        .isInstanceOf(BadRequestException.class)
        .hasMessageContaining("REALTIME_AI_STORAGE").hasMessageContaining("devstoreaccount1")
        .hasMessageContaining("acct").hasMessageNotContaining(Storage.DEV_KEY);
  }

  @Test
  void credential_refusesPlainHttpWithoutASasOrConnectionString() {
    assertThatThrownBy(() -> source(null).credential(PATH_STYLE))
        .isInstanceOf(BadRequestException.class)
        .hasMessageContaining(PATH_STYLE).hasMessageContaining("REALTIME_AI_STORAGE");
  }

  @Test
  void credential_refusesAConnectionStringWithoutKeyOrSas() {
    assertThatThrownBy(() -> source("BlobEndpoint=https://acct.blob.core.windows.net").credential(ACCOUNT_STYLE))
        .isInstanceOf(BadRequestException.class)
        .hasMessageContaining("REALTIME_AI_STORAGE").hasMessageContaining("AccountKey");
  }

  @Test
  void fetchPackage_refusesAUrlNamingNoBlobWithoutPrintingItsSas() {
    assertThatThrownBy(() -> source(AZURITE).fetchPackage("http://127.0.0.1:10000/devstoreaccount1/models?sv=1&sig=secret", null))
        .isInstanceOf(BadRequestException.class)
        .hasMessageContaining("http://127.0.0.1:10000/devstoreaccount1/models names no blob")
        .hasMessageNotContaining("secret");
  }

  @Test
  void fetchPackage_refusesASha256ForAFolder(@TempDir Path folder) {
    assertThatThrownBy(() -> source(null).fetchPackage(folder.toString(), "0".repeat(64)))
        .isInstanceOf(BadRequestException.class)
        .hasMessageContaining("--package-sha256").hasMessageContaining("is a folder");
  }

  @Test
  void size_printsSizesForPeople() {
    assertThat(PackageSource.size(123)).isEqualTo("123 bytes");
    assertThat(PackageSource.size(129_394_278)).isEqualTo("123.4 MiB");
    assertThat(PackageSource.size(5L << 30)).isEqualTo("5.0 GiB");
  }

  private static PackageSource source(String connection) {
    return new PackageSource(Path.of("unused"), PackageSource.DEFAULT_MAX_DOWNLOAD_BYTES, connection, System.out);
  }
}
