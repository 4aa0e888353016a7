package io.realtimeai.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.EquivalentAddressGroup;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Replica addresses: parsed and checked when given, before any channel sees them. */
class ReplicaResolverProviderTest {
  @Test
  void resolve_givesOneAddressGroupPerDistinctReplica() {
    List<EquivalentAddressGroup> groups =
        ReplicaResolverProvider.resolve(List.of("127.0.0.1:5001", "127.0.0.1:5002", "127.0.0.1:5001"));

    assertThat(groups).extracting(g -> ((InetSocketAddress) g.getAddresses().get(0)).getPort()).containsExactly(5001, 5002);
    assertThat(groups).allSatisfy(g -> assertThat(g.getAddresses()).hasSize(1));
  }

  @Test
  void resolve_acceptsAnIpv6HostInBrackets() {
    InetSocketAddress address = (InetSocketAddress) ReplicaResolverProvider.resolve(List.of("[::1]:8500"))
        .get(0).getAddresses().get(0);

    assertThat(address.getAddress()).isInstanceOf(Inet6Address.class);
    assertThat(address.getAddress().isLoopbackAddress()).isTrue();
    assertThat(address.getPort()).isEqualTo(8500);
  }

  @Test
  void resolve_rejectsWhatIsNotHostAndPort() {
    for (String bad : List.of("127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:http", "127.0.0.1:80/path",
        "user@127.0.0.1:80", ":8500", "", "two words:80")) {
      assertThatThrownBy(() -> ReplicaResolverProvider.resolve(List.of("127.0.0.1:5001", bad)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + bad + "'");
    }
  }

  @Test
  void resolve_rejectsAnEmptyList() {
    assertThatThrownBy(() -> ReplicaResolverProvider.resolve(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one replica");
  }

  @Test
  void updateAddresses_isRefusedByAClientOfOneAddress() {
    // Building connects nothing: a channel stays idle until its first call.
    try (PredictionClient client = PredictionClient.builder("127.0.0.1:5001").build()) {
      assertThatThrownBy(() -> client.updateAddresses(List.of("127.0.0.1:5002")))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("builder(List)");
    }
  }

  @Test
  void updateAddresses_rejectsAnEmptyOrMalformedList() {
    try (PredictionClient client = PredictionClient.builder(List.of("127.0.0.1:5001")).build()) {
      assertThatThrownBy(() -> client.updateAddresses(List.of()))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> client.updateAddresses(List.of("127.0.0.1")))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void builder_rejectsAnEmptyReplicaList() {
    assertThatThrownBy(() -> PredictionClient.builder(List.<String>of()).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one replica");
  }
}
