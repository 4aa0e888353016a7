package io.realtimeai.client;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The replica list of one client, as a name resolver its channel alone uses: it answers the
 * addresses it was given, and pushes a new list to the channel when {@link #update} replaces it.
 * grpc-java has no public resolver for a fixed list of addresses, and registering one globally
 * would share one list among every client of the process; each client registers its own in a
 * private {@link NameResolverRegistry}.
 */
final class ReplicaResolverProvider extends NameResolverProvider {
  static final String SCHEME = "realtime-ai-replicas";

  private final String authority;
  private final Set<Resolver> started = ConcurrentHashMap.newKeySet();
  private volatile List<EquivalentAddressGroup> replicas;

  /** A provider answering {@code addresses} ({@code host:port} each), with the first one's as the authority. */
  ReplicaResolverProvider(List<String> addresses) {
    this.replicas = resolve(addresses);
    this.authority = addresses.get(0).strip();
  }

  /** The channel target this provider resolves. */
  String target() {
    return SCHEME + ":///replicas";
  }

  /** A registry that knows this provider only: for {@code Grpc.newChannelBuilder(target, credentials, registry)}. */
  NameResolverRegistry registry() {
    NameResolverRegistry registry = new NameResolverRegistry();
    registry.register(this);
    return registry;
  }

  /** Replaces the replica list; every channel using it gets the new list, its in-flight calls untouched. */
  void update(List<String> addresses) {
    replicas = resolve(addresses);
    started.forEach(Resolver::push);
  }

  /** The current replica list, one address group per replica. */
  List<EquivalentAddressGroup> replicas() {
    return replicas;
  }

  /**
   * One address group per distinct replica ({@code host:port}; IPv6 hosts in brackets). Host
   * names are looked up here, once, so that a replica every address of which is known is all a
   * channel is given.
   */
  static List<EquivalentAddressGroup> resolve(List<String> addresses) {
    if (addresses == null || addresses.isEmpty()) {
      throw new IllegalArgumentException("a service needs at least one replica address");
    }
    List<EquivalentAddressGroup> groups = new ArrayList<>();
    for (String address : new LinkedHashSet<>(addresses)) {
      groups.add(new EquivalentAddressGroup(socketAddresses(address)));
    }
    return List.copyOf(groups);
  }

  private static List<SocketAddress> socketAddresses(String address) {
    String text = address == null ? "" : address.strip();
    URI uri;
    try {
      uri = URI.create("//" + text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("replica address must be host:port, got '" + address + "'", e);
    }
    if (uri.getHost() == null || uri.getPort() < 1 || uri.getPort() > 65535
        || !text.equals(uri.getRawAuthority()) || uri.getUserInfo() != null) {
      throw new IllegalArgumentException("replica address must be host:port, got '" + address + "'");
    }
    try {
      return Arrays.stream(InetAddress.getAllByName(uri.getHost()))
          .<SocketAddress>map(ip -> new InetSocketAddress(ip, uri.getPort()))
          .toList();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("unknown replica host in '" + address + "'", e);
    }
  }

  @Override
  public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
    return SCHEME.equals(targetUri.getScheme()) ? new Resolver(args.getSynchronizationContext()) : null;
  }

  @Override
  public String getDefaultScheme() {
    return SCHEME;
  }

  @Override
  protected boolean isAvailable() {
    return true;
  }

  @Override
  protected int priority() {
    return 5;
  }

  @Override
  public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
    return List.of(InetSocketAddress.class);
  }

  /** The channel's resolver: answers the provider's current list, now and whenever it changes. */
  private final class Resolver extends NameResolver {
    private final SynchronizationContext context;
    private Listener2 listener;

    Resolver(SynchronizationContext context) {
      this.context = context;
    }

    @Override
    public String getServiceAuthority() {
      return authority;
    }

    @Override
    public void start(Listener2 value) {
      listener = value;
      started.add(this);
      push();
    }

    @Override
    public void refresh() {
      push();
    }

    @Override
    public void shutdown() {
      started.remove(this);
      listener = null;
    }

    // The list is read inside the channel's synchronization context, so of two updates racing,
    // the channel ends with the later one whichever push runs last.
    void push() {
      context.execute(() -> {
        if (listener != null) {
          listener.onResult2(ResolutionResult.newBuilder()
              .setAddressesOrError(StatusOr.fromValue(replicas))
              .build());
        }
      });
    }
  }
}
