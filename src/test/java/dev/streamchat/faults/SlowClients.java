package dev.streamchat.faults;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Raw-socket clients that never finish a request: each sends the next byte of a request's
 * headers when told to (one byte a second makes a slowloris), and reports whether the server
 * has closed it. Non-blocking channels, so thousands need no thread each.
 */
final class SlowClients implements AutoCloseable {

  private static final byte[] REQUEST = "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: "
      .concat("a".repeat(4000)).getBytes(StandardCharsets.US_ASCII);

  private final List<SocketChannel> sockets = new ArrayList<>();
  private final List<Boolean> closed = new ArrayList<>();
  private int sent;

  /** Opens {@code count} connections (those the server closes at once count as closed). */
  SlowClients(int port, int count) throws IOException {
    for (int i = 0; i < count; i++) {
      SocketChannel s = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
      s.configureBlocking(false);
      sockets.add(s);
      closed.add(false);
    }
  }

  /** Sends each open connection its next header byte. */
  void trickle() {
    ByteBuffer one = ByteBuffer.wrap(REQUEST, sent % REQUEST.length, 1);
    for (int i = 0; i < sockets.size(); i++) {
      if (closed.get(i)) continue;
      try {
        sockets.get(i).write(one.duplicate());
      } catch (IOException e) {
        closed.set(i, true);
      }
    }
    sent++;
  }

  /** How many the server has closed (end of stream or reset) by now. */
  int closedCount() {
    ByteBuffer sink = ByteBuffer.allocate(4096);
    int n = 0;
    for (int i = 0; i < sockets.size(); i++) {
      if (!closed.get(i)) {
        try {
          sink.clear();
          if (sockets.get(i).read(sink) < 0) closed.set(i, true);
        } catch (IOException e) {
          closed.set(i, true);
        }
      }
      if (closed.get(i)) n++;
    }
    return n;
  }

  int size() {
    return sockets.size();
  }

  /** One honest GET on a new connection: its status, or -1 when it got no answer within 5 s. */
  static int honest(int port, String path) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      s.setSoTimeout(5000);
      s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      String status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
          .readLine();
      return status != null && status.startsWith("HTTP/1.1 ") ? Integer.parseInt(status.substring(9, 12)) : -1;
    } catch (IOException e) {
      return -1;
    }
  }

  @Override
  public void close() {
    for (SocketChannel s : sockets) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }
}
