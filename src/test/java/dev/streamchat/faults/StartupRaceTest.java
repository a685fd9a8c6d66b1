package dev.streamchat.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.app.App;
import dev.streamchat.app.Config;
import dev.streamchat.ops.Telemetry;
import dev.streamchat.testing.TestServer;
import io.vertx.core.Vertx;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Requests hammer a fixed port while the whole app is started and stopped on it again and again
 * (as in a rolling restart): every connection that got through is answered or closed, none is
 * left hanging. The web verticles' instances share the port; one that joined while the first was
 * still binding lost its metrics and left its requests unanswered (about one start in ten).
 */
class StartupRaceTest {

  private static final int RESTARTS = 6;

  @Test
  void noRequestIsLeftHangingThroughRestarts() throws Exception {
    int port;
    try (ServerSocket probe = new ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    Path dir = Files.createTempDirectory("streamchat-restarts");
    AtomicBoolean hammering = new AtomicBoolean(true);
    AtomicInteger answered = new AtomicInteger();
    AtomicInteger closed = new AtomicInteger();
    AtomicInteger hung = new AtomicInteger();
    AtomicInteger unansweredWhileUp = new AtomicInteger();
    AtomicBoolean stopping = new AtomicBoolean(false);
    List<Thread> hammers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Thread t = new Thread(() -> {
        while (hammering.get()) hit(port, stopping, answered, closed, hung, unansweredWhileUp);
      }, "hammer-" + i);
      t.start();
      hammers.add(t);
    }
    try {
      for (int i = 0; i < RESTARTS; i++) {
        stopping.set(false);
        Config config = Config.from(Map.of("STREAMCHAT_PORT", String.valueOf(port), "STREAMCHAT_DATA_DIR", dir.toString()));
        Vertx vertx = Telemetry.newVertx(config.eventLoops());
        vertx.deployVerticle(new App(config)).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        Thread.sleep(300);
        stopping.set(true);
        vertx.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
    } finally {
      hammering.set(false);
      for (Thread t : hammers) t.join(15_000);
      TestServer.deleteTree(dir);
    }
    System.out.printf("through %d restarts: %d requests answered, %d connections closed unanswered as the "
        + "server stopped, %d left hanging; %d unanswered while it started or ran%n", RESTARTS, answered.get(),
        closed.get(), hung.get(), unansweredWhileUp.get());
    assertTrue(answered.get() > 0, "the server did answer between restarts");
    assertEquals(0, hung.get(), "no connection was left hanging");
    assertEquals(0, unansweredWhileUp.get(), "every request sent while the server started or ran was answered");
  }

  /**
   * One request on a new connection: refused (not counted), answered, closed, or hanging 5 s. A
   * request sent before the server began to stop must be answered.
   */
  private static void hit(int port, AtomicBoolean stopping, AtomicInteger answered, AtomicInteger closed,
      AtomicInteger hung, AtomicInteger unansweredWhileUp) {
    try (Socket s = new Socket()) {
      try {
        s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      } catch (IOException refused) {
        Thread.sleep(5);
        return;
      }
      s.setSoTimeout(5_000);
      boolean sentWhileUp = !stopping.get();
      String status;
      try {
        s.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII));
        status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
      } catch (SocketTimeoutException e) {
        hung.incrementAndGet();
        status = null;
      } catch (IOException e) {
        status = null;
      }
      if (status != null && status.startsWith("HTTP/1.1 ")) {
        answered.incrementAndGet();
        return;
      }
      closed.incrementAndGet();
      if (sentWhileUp && !stopping.get()) unansweredWhileUp.incrementAndGet();
    } catch (IOException e) {
      closed.incrementAndGet();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
