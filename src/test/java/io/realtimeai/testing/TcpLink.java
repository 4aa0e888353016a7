package io.realtimeai.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import io.realtimeai.storage.Storage;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP link on a loopback port to a server, that a test can cut and mend: while cut, every
 * connection is closed as it is accepted and those open are closed, as a network that lost the
 * server; the port stays the link's own throughout, so nothing else can take it meanwhile (as it
 * could if the server itself were stopped and started again on the same port).
 */
public final class TcpLink implements AutoCloseable {
  private final ServerSocket listener;
  private final int target;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final java.util.concurrent.atomic.AtomicInteger turnedAway = new java.util.concurrent.atomic.AtomicInteger();
  private volatile boolean cut;

  /** A link from a free loopback port to {@code 127.0.0.1:targetPort}. */
  public TcpLink(int targetPort) throws IOException {
    this.target = targetPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accepting = new Thread(this::accept, "tcp-link-" + listener.getLocalPort());
    accepting.setDaemon(true);
    accepting.start();
  }

  /** A link in front of each of Azurite's three ports (blob, queue, table), in that order. */
  public static List<TcpLink> toEach(int[] ports) throws IOException {
    List<TcpLink> links = new ArrayList<>();
    try {
      for (int port : ports) {
        links.add(new TcpLink(port));
      }
    } catch (IOException e) {
      closeAll(links);
      throw e;
    }
    return List.copyOf(links);
  }

  /** The Azurite connection string that reaches storage through {@code links} (blob, queue, table). */
  public static String connectionString(List<TcpLink> links) {
    return Storage.azuriteConnectionString(links.get(0).port(), links.get(1).port(), links.get(2).port());
  }

  /** Closes every link of {@code links} (null: none). */
  public static void closeAll(List<TcpLink> links) throws IOException {
    if (links == null) {
      return;
    }
    for (TcpLink link : links) {
      link.close();
    }
  }

  /** The link's own port, for the client. */
  public int port() {
    return listener.getLocalPort();
  }

  /** Cuts the link: open connections are closed, new ones too. */
  public synchronized void cut() {
    cut = true;
    open.forEach(TcpLink::closeQuietly);
  }

  /** How many connections were closed as they came while the link was cut. */
  public int turnedAway() {
    return turnedAway.get();
  }

  /** Mends the link: new connections reach the server again. */
  public synchronized void mend() {
    cut = false;
  }

  private void accept() {
    while (!listener.isClosed()) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return;
      }
      try {
        Socket server = new Socket();
        server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 5_000);
        synchronized (this) {
          // Checked and registered under the lock cut() takes: no connection slips through a cut.
          if (cut) {
            turnedAway.incrementAndGet();
            closeQuietly(client);
            closeQuietly(server);
            continue;
          }
          open.add(client);
          open.add(server);
        }
        pipe(client, server);
        pipe(server, client);
      } catch (IOException e) {
        closeQuietly(client);
      }
    }
  }

  private void pipe(Socket from, Socket to) {
    Thread copying = new Thread(() -> {
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        in.transferTo(out);
      } catch (IOException e) {
        // one side closed: the other follows
      } finally {
        closeQuietly(from);
        closeQuietly(to);
        open.remove(from);
        open.remove(to);
      }
    }, "tcp-link-pipe");
    copying.setDaemon(true);
    copying.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing
    }
  }

  @Override
  public void close() throws IOException {
    cut();
    listener.close();
  }
}
