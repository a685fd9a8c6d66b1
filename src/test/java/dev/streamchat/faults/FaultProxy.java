package dev.streamchat.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on raw sockets between the app and a server, that fails the way networks do:
 * <ul>
 *   <li>{@link Mode#FORWARD}: bytes pass both ways;</li>
 *   <li>{@link Mode#RESET}: every connection, open or new, is reset (RST);</li>
 *   <li>{@link Mode#DROP}: silence, as when a host vanishes in a failover: connections stay
 *       open but nothing passes any more, and new ones are accepted and hear nothing. Connections
 *       silenced stay silent after the mode changes back (that host is gone);</li>
 *   <li>{@link Mode#REFUSE}: the port is closed (connection refused), open connections reset.</li>
 * </ul>
 */
final class FaultProxy implements AutoCloseable {

  enum Mode { FORWARD, RESET, DROP, REFUSE }

  /** One client connection and its upstream. */
  private static final class Link {
    final Socket client;
    final Socket upstream;
    volatile boolean silenced;

    Link(Socket client, Socket upstream) {
      this.client = client;
      this.upstream = upstream;
    }
  }

  private final InetSocketAddress target;
  private final int port;
  private final List<Link> links = new CopyOnWriteArrayList<>();
  private final List<Socket> silent = new CopyOnWriteArrayList<>();
  private volatile Mode mode = Mode.FORWARD;
  private volatile ServerSocket listener;

  FaultProxy(String host, int targetPort) throws IOException {
    this.target = new InetSocketAddress(host, targetPort);
    ServerSocket first = bind(0);
    this.port = first.getLocalPort();
    startAccepting(first);
  }

  int port() {
    return port;
  }

  Mode mode() {
    return mode;
  }

  synchronized void mode(Mode next) throws IOException {
    mode = next;
    switch (next) {
      case FORWARD -> {
        if (listener == null) startAccepting(bind(port));
      }
      case RESET -> links.forEach(FaultProxy::reset);
      case DROP -> links.forEach(l -> l.silenced = true);
      case REFUSE -> {
        ServerSocket l = listener;
        listener = null;
        if (l != null) l.close();
        links.forEach(FaultProxy::reset);
      }
    }
  }

  private static ServerSocket bind(int port) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 512);
    return s;
  }

  private void startAccepting(ServerSocket s) {
    listener = s;
    Thread t = new Thread(() -> {
      while (!s.isClosed()) {
        try {
          accepted(s.accept());
        } catch (IOException e) {
          return; // closed: REFUSE or close()
        }
      }
    }, "fault-proxy-accept");
    t.setDaemon(true);
    t.start();
  }

  private void accepted(Socket client) throws IOException {
    switch (mode) {
      case RESET, REFUSE -> resetSocket(client);
      case DROP -> silent.add(client);
      case FORWARD -> {
        Socket upstream = new Socket();
        try {
          upstream.connect(target, 2000);
        } catch (IOException e) {
          resetSocket(client);
          return;
        }
        Link link = new Link(client, upstream);
        links.add(link);
        pump(link, client, upstream);
        pump(link, upstream, client);
      }
    }
  }

  /** Copies one direction; a silenced link reads and discards, so both ends hear nothing. */
  private void pump(Link link, Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16 * 1024];
      try (InputStream in = from.getInputStream()) {
        OutputStream out = to.getOutputStream();
        for (int n; (n = in.read(buf)) >= 0; ) {
          if (mode == Mode.DROP) link.silenced = true; // also a link made as the mode changed
          if (link.silenced) continue;
          out.write(buf, 0, n);
          out.flush();
        }
        if (!link.silenced) to.shutdownOutput();
      } catch (IOException e) {
        if (!link.silenced) reset(link);
      }
    }, "fault-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void reset(Link link) {
    resetSocket(link.client);
    resetSocket(link.upstream);
  }

  private static void resetSocket(Socket s) {
    try {
      s.setSoLinger(true, 0);
      s.close();
    } catch (SocketException ignored) {
      // already closed
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    ServerSocket l = listener;
    if (l != null) l.close();
    links.forEach(FaultProxy::reset);
    silent.forEach(FaultProxy::resetSocket);
  }
}
