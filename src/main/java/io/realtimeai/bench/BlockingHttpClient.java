package io.realtimeai.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * An HTTP/1.1 client that does its I/O on the calling thread over one kept-alive connection, as
 * curl or Python's {@code requests} do: the bench's measure of what the HTTP path adds on the
 * server's side. The JDK's {@code HttpClient} hands every request and response to a selector
 * thread of its own, and on a small VM each of those hand-offs after an idle wait costs a
 * fraction of a millisecond that no server can win back (both clients are measured).
 *
 * <p>Only what the bench needs: {@code POST} with a known length, answers framed by
 * {@code Content-Length} or chunked; not thread-safe (one per calling thread).
 */
public final class BlockingHttpClient implements AutoCloseable {
  private final String host;
  private final int port;
  private Socket socket;
  private InputStream in;
  private OutputStream out;

  /** A client of the server at {@code base} ({@code http://host:port}); it connects on its first call. */
  public BlockingHttpClient(URI base) {
    this.host = base.getHost();
    this.port = base.getPort();
  }

  /** An answer: its status and body. */
  public record Answer(int status, byte[] body) {}

  /** Posts {@code body} to {@code pathAndQuery} and reads the whole answer. */
  public Answer post(String pathAndQuery, String contentType, byte[] body) throws IOException {
    if (socket == null) {
      connect();
    }
    String head = "POST " + pathAndQuery + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nContent-Type: " + contentType
        + "\r\nContent-Length: " + body.length + "\r\n\r\n";
    out.write(head.getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
    int status = Integer.parseInt(line().split(" ", 3)[1]);
    long length = -1;
    boolean chunked = false;
    boolean close = false;
    for (String header = line(); !header.isEmpty(); header = line()) {
      int colon = header.indexOf(':');
      String name = header.substring(0, colon).strip().toLowerCase(Locale.ROOT);
      String value = header.substring(colon + 1).strip();
      switch (name) {
        case "content-length" -> length = Long.parseLong(value);
        case "transfer-encoding" -> chunked = value.equalsIgnoreCase("chunked");
        case "connection" -> close = value.equalsIgnoreCase("close");
        default -> { }
      }
    }
    byte[] answer = chunked ? chunks() : in.readNBytes((int) Math.max(0, length));
    if (close) {
      close();
    }
    return new Answer(status, answer);
  }

  private void connect() throws IOException {
    socket = new Socket(host, port);
    // A request goes out in one piece: without this its body waits for the server's delayed ACK.
    socket.setTcpNoDelay(true);
    in = new BufferedInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  private byte[] chunks() throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (int size = Integer.parseInt(line().split(";")[0].strip(), 16); size > 0;
        size = Integer.parseInt(line().split(";")[0].strip(), 16)) {
      body.write(in.readNBytes(size));
      line();
    }
    line();
    return body.toByteArray();
  }

  private String line() throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new EOFException("the server closed the connection");
      }
      if (c != '\r') {
        line.append((char) c);
      }
    }
    return line.toString();
  }

  @Override
  public void close() throws IOException {
    if (socket != null) {
      socket.close();
      socket = null;
    }
  }
}
