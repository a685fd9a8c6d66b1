package dev.streamchat.testing;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP load balancer of the test's own: each new connection goes to the next backend in turn,
 * with no stickiness of any kind, as nginx's default round robin does.
 */
public final class RoundRobinProxy implements AutoCloseable {

  private final Vertx vertx = Vertx.vertx();
  private final List<Integer> backends;
  private final AtomicInteger next = new AtomicInteger();
  /** The backend port each accepted connection went to, in order. */
  private final List<Integer> routed = new CopyOnWriteArrayList<>();
  private final NetServer server;

  public RoundRobinProxy(List<Integer> backendPorts) throws Exception {
    this.backends = List.copyOf(backendPorts);
    NetClient client = vertx.createNetClient();
    server = vertx.createNetServer().connectHandler(in -> {
      in.pause();
      int port = backends.get(Math.floorMod(next.getAndIncrement(), backends.size()));
      routed.add(port);
      client.connect(port, "127.0.0.1").onComplete(ar -> {
        if (ar.failed()) {
          in.close();
          return;
        }
        NetSocket out = ar.result();
        in.pipeTo(out);
        out.pipeTo(in);
        in.resume();
      });
    });
    server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  public String url(String path) {
    return "http://127.0.0.1:" + server.actualPort() + path;
  }

  /** The backend port of every connection so far. */
  public List<Integer> routed() {
    return List.copyOf(routed);
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
