package io.realtimeai.host.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.realtimeai.host.Binding;
import io.realtimeai.host.FunctionInvoker;
import io.realtimeai.host.HostConfig;
import io.realtimeai.host.TriggerListener;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * The HTTP trigger of the local host: serves every {@code httpTrigger} function at
 * {@code /{routePrefix}/{route}} (its function name when it has no route) with the Functions
 * host's routing, {@code @BindingName} values, body conversion, 100 MB body limit and status
 * mapping, on the JDK's HTTP server with at most {@code maxConcurrentRequests} invocations at once.
 * Which route wins when several match is described on {@link RouteTable}.
 *
 * <p>{@code authLevel} is not enforced, as Core Tools does not enforce it either: locally every
 * function is anonymous, and keys are checked only on Azure.
 */
public final class HttpListener implements TriggerListener {
  private static final Logger LOG = Logger.getLogger(HttpListener.class.getName());

  static {
    // The JDK server writes a response's headers and body in separate packets; with Nagle's algorithm
    // on, the body waits for the client's delayed ACK and every request takes 40 ms more. The server
    // reads this property once, when its first instance is made, so it is set before that unless the
    // user chose otherwise.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final HostConfig config;
  private final InetAddress address;
  private final int requestedPort;
  private final RouteTable<HttpDispatcher.Target> routes;
  private final HttpDispatcher dispatcher;

  private final Object lock = new Object();
  private int inFlight;
  private boolean stopping;
  private HttpServer server;
  private ThreadPoolExecutor workers;

  /**
   * A listener for {@code functions} on the loopback interface.
   *
   * <p>Loopback rather than every interface, which Core Tools binds: with {@code authLevel} not
   * enforced every function here is anonymous, so it is kept off the network unless a caller
   * chooses an address with the other constructor.
   *
   * @param config the host.json settings it honours: {@code routePrefix}, {@code maxConcurrentRequests}
   * @param port the port, 0 for a free one ({@link #port()} says which)
   * @param functions the functions whose trigger is {@code httpTrigger}
   * @throws IllegalArgumentException for a function without an HTTP trigger, a route the host cannot
   *     parse, or two functions serving the same route and method
   */
  public HttpListener(HostConfig config, int port, List<FunctionInvoker> functions) {
    this(config, InetAddress.getLoopbackAddress(), port, functions);
  }

  /** A listener for {@code functions} on {@code address}; otherwise like the loopback one. */
  public HttpListener(HostConfig config, InetAddress address, int port, List<FunctionInvoker> functions) {
    this.config = Objects.requireNonNull(config, "config");
    this.address = Objects.requireNonNull(address, "address");
    this.requestedPort = port;
    List<RouteTable.Route<HttpDispatcher.Target>> table = new ArrayList<>();
    for (FunctionInvoker function : functions) {
      String name = function.descriptor().name();
      Binding trigger = function.descriptor().trigger();
      if (!trigger.type().equals("httpTrigger")) {
        throw new IllegalArgumentException("function " + name + " has a " + trigger.type() + ", not an httpTrigger");
      }
      String route = trigger.string("route");
      RouteTemplate template;
      try {
        template = RouteTemplate.parse(route == null || route.isBlank() ? name : route);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("function " + name + ": " + e.getMessage(), e);
      }
      table.add(new RouteTable.Route<>(name, template, Set.copyOf(trigger.strings("methods")),
          HttpDispatcher.Target.of(function)));
    }
    this.routes = new RouteTable<>(config.routePrefix(), table);
    this.dispatcher = new HttpDispatcher(routes, HttpBodies.MAX_REQUEST_BYTES);
  }

  /** The port it listens on once started (the one picked for port 0); before that, the port asked for. */
  public int port() {
    synchronized (lock) {
      return server == null ? requestedPort : server.getAddress().getPort();
    }
  }

  /** Every function it serves, by function name, with its methods and URL path. */
  public List<HttpEndpoint> endpoints() {
    return routes.routes().stream()
        .map(r -> new HttpEndpoint(r.function(), List.copyOf(r.methods()), routes.path(r.template())))
        .sorted(Comparator.comparing(HttpEndpoint::function, String.CASE_INSENSITIVE_ORDER))
        .toList();
  }

  /** Binds the port and starts serving. */
  @Override
  public void start() throws IOException {
    synchronized (lock) {
      if (server != null) {
        throw new IllegalStateException("the HTTP listener is already started");
      }
      HttpServer created = HttpServer.create(new InetSocketAddress(address, requestedPort), 0);
      int threads = Math.max(1, config.maxConcurrentRequests());
      // maxConcurrentRequests threads run invocations; requests beyond that wait in the queue for one
      ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
          new LinkedBlockingQueue<>(), workerThreads());
      pool.allowCoreThreadTimeOut(true);
      created.setExecutor(pool);
      created.createContext("/", this::handle);
      created.start();
      server = created;
      workers = pool;
      LOG.fine(() -> "HTTP listener on " + created.getAddress() + " serving " + endpoints());
    }
  }

  /**
   * Stops taking requests (new connections are refused, new requests on open connections get 503),
   * lets those in flight finish for up to {@code grace}, then closes every connection.
   */
  @Override
  public void stop(Duration grace) throws InterruptedException {
    Duration wait = grace.isNegative() ? Duration.ZERO : grace;
    HttpServer stopped;
    boolean idle;
    synchronized (lock) {
      if (server == null || stopping) {
        return;
      }
      stopping = true;
      stopped = server;
      idle = inFlight == 0;
    }
    Thread closer = null;
    boolean finished = true;
    if (!idle) {
      // HttpServer.stop(delay) closes the listening socket at once, then waits for exchanges in flight.
      // On JDK 17 it counts whole seconds and, with none in flight, waits out the whole delay; so it
      // runs beside this thread only to refuse new connections now, and the stop(0) below ends its
      // wait once this listener's own count of invocations says they are done.
      long seconds = Math.min(Integer.MAX_VALUE - 1L, wait.toSeconds()) + 1;
      closer = new Thread(() -> stopped.stop((int) seconds), "http-listener-stop");
      closer.setDaemon(true);
      closer.start();
      finished = awaitIdle(wait);
      if (!finished) {
        LOG.warning(() -> "HTTP requests still running after " + wait + "; closing their connections");
      }
    }
    stopped.stop(0);
    if (closer != null) {
      closer.join();
    }
    if (finished) {
      workers.shutdown();
    } else {
      workers.shutdownNow();
    }
  }

  private void handle(HttpExchange exchange) {
    boolean admitted;
    synchronized (lock) {
      admitted = !stopping;
      if (admitted) {
        inFlight++;
      }
    }
    if (!admitted) {
      dispatcher.refuse(exchange);
      return;
    }
    try {
      dispatcher.handle(exchange);
    } finally {
      synchronized (lock) {
        if (--inFlight == 0) {
          lock.notifyAll();
        }
      }
    }
  }

  private boolean awaitIdle(Duration grace) throws InterruptedException {
    long deadline = System.nanoTime() + grace.toNanos();
    synchronized (lock) {
      while (inFlight > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(lock, left);
      }
      return true;
    }
  }

  private ThreadFactory workerThreads() {
    AtomicInteger count = new AtomicInteger();
    return task -> {
      Thread thread = new Thread(task, "http-worker-" + count.incrementAndGet());
      // daemon: a listener that was never stopped does not keep the JVM alive
      thread.setDaemon(true);
      return thread;
    };
  }
}
