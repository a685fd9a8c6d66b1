package dev.streamchat.model;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A model server on a raw socket (port 0) that writes its answers byte for byte as a test says:
 * each write is flushed on its own (with a pause between), so a test decides exactly where the
 * network splits the stream. Speaks just enough HTTP/1.1: keep-alive, Content-Length request
 * bodies, chunked responses. Records requests and when a client closed a streaming connection.
 */
public final class FakeModelServer implements AutoCloseable {

  /** A request as received; header names are lower case. */
  public record Request(String method, String path, Map<String, String> headers, String body) {
  }

  /** What the server does with one request. */
  @FunctionalInterface
  public interface Responder {
    void respond(Request request, Exchange exchange) throws IOException, InterruptedException;
  }

  private final ServerSocket server;
  /**
   * Bound, never listening: keeps the port this server's own after {@link #refuse()}, so a
   * connection to it is refused rather than answered by whichever server took the port next
   * (the kernel hands out no port 0 that a socket still holds).
   */
  private final Socket portHolder = new Socket();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile Responder responder;
  /** Set when a client closes a connection the server was streaming on; nanoTime of the close. */
  private volatile CountDownLatch closed = new CountDownLatch(1);
  private volatile long closedAtNanos;

  public FakeModelServer(Responder responder) throws IOException {
    this.responder = responder;
    portHolder.setReuseAddress(true);
    portHolder.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    this.server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), portHolder.getLocalPort()));
    Thread accept = new Thread(this::acceptLoop, "fake-model-accept");
    accept.setDaemon(true);
    accept.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  public String url(String path) {
    return "http://127.0.0.1:" + port() + path;
  }

  public void respond(Responder r) {
    this.responder = r;
    this.closed = new CountDownLatch(1);
  }

  public List<Request> requests() {
    return requests;
  }

  public Request lastRequest(String pathPrefix) {
    for (int i = requests.size() - 1; i >= 0; i--) {
      if (requests.get(i).path().startsWith(pathPrefix)) return requests.get(i);
    }
    throw new AssertionError("no request to " + pathPrefix + " in " + requests);
  }

  /** Waits until a client closed a connection this server was streaming on; its nanoTime, or -1. */
  public long awaitClientClose(long timeoutMs) throws InterruptedException {
    return closed.await(timeoutMs, TimeUnit.MILLISECONDS) ? closedAtNanos : -1;
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        s.setTcpNoDelay(true);
        sockets.add(s);
        Thread t = new Thread(() -> serve(s), "fake-model-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    boolean answering = false;
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      while (true) {
        Request req = readRequest(in);
        if (req == null) return;
        requests.add(req);
        Exchange ex = new Exchange(s, in, out);
        answering = true;
        responder.respond(req, ex);
        answering = false;
        if (ex.closed) return;
      }
    } catch (IOException | InterruptedException e) {
      // The client went away. In the middle of an answer that is a close of a streaming
      // connection too: it can come before the answer reaches streamUntilClosed's watcher.
      if (answering) {
        closedAtNanos = System.nanoTime();
        closed.countDown();
      }
    }
  }

  private static Request readRequest(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) return null;
      head.write(b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    String[] first = lines[0].split(" ");
    Map<String, String> headers = new TreeMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
    }
    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    byte[] body = in.readNBytes(length);
    return new Request(first[0], first[1], headers, new String(body, StandardCharsets.UTF_8));
  }

  /** The answer to one request, written step by step. */
  public final class Exchange {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private boolean closed;

    Exchange(Socket socket, InputStream in, OutputStream out) {
      this.socket = socket;
      this.in = in;
      this.out = out;
    }

    /** A whole response with a Content-Length body. */
    public void reply(int status, String contentType, String body, String... headers) throws IOException {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      StringBuilder h = new StringBuilder("HTTP/1.1 " + status + " X\r\nContent-Type: " + contentType
          + "\r\nContent-Length: " + bytes.length + "\r\n");
      for (int i = 0; i + 1 < headers.length; i += 2) h.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
      out.write(h.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(bytes);
      out.flush();
    }

    /** Starts a chunked response. */
    public void begin(String contentType) throws IOException {
      out.write(("HTTP/1.1 200 OK\r\nContent-Type: " + contentType + "\r\nTransfer-Encoding: chunked\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    /** One network write: a chunk of the body, flushed on its own. */
    public void write(byte[] bytes) throws IOException {
      if (bytes.length == 0) return;
      out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.write(bytes);
      out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    /** Writes each part as its own network write, pausing between them. */
    public void writeAll(List<byte[]> parts, long pauseMs) throws IOException, InterruptedException {
      for (byte[] p : parts) {
        write(p);
        if (pauseMs > 0) Thread.sleep(pauseMs);
      }
    }

    /** Ends the chunked body properly. */
    public void end() throws IOException {
      out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    /** Drops the connection mid-body, as a crashed server or a cut network does. */
    public void cut() throws IOException {
      closed = true;
      socket.close();
    }

    /**
     * Writes a part every {@code everyMs} until the client closes the connection, then records
     * when it did. Gives up after {@code maxMs}.
     */
    public void streamUntilClosed(byte[] part, long everyMs, long maxMs) throws IOException, InterruptedException {
      closed = true;
      Thread watcher = new Thread(() -> {
        try {
          while (in.read() >= 0) {
            // a client sends nothing more on a streaming request; wait for its close
          }
        } catch (IOException e) {
          // a reset is a close too
        }
        closedAtNanos = System.nanoTime();
        FakeModelServer.this.closed.countDown();
      }, "fake-model-close-watch");
      watcher.setDaemon(true);
      watcher.start();
      long until = System.currentTimeMillis() + maxMs;
      try {
        while (watcher.isAlive() && System.currentTimeMillis() < until) {
          write(part);
          Thread.sleep(everyMs);
        }
      } catch (SocketException e) {
        // the client closed while we wrote
      }
      watcher.join(1000);
    }
  }

  /** Stops listening and drops every connection; from now on a connection to the port is refused. */
  public void refuse() throws IOException {
    server.close();
    for (Socket s : sockets) s.close();
  }

  @Override
  public void close() throws IOException {
    refuse();
    portHolder.close();
  }
}
