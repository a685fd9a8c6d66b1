package dev.streamchat.faults;

import dev.streamchat.app.FatalErrors;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * Run in a child JVM with a small heap by {@link OutOfMemoryTest}: installs the process's
 * out-of-memory guard, serves HTTP, and runs out of memory where its argument says: in an HTTP
 * handler on an event loop, or in a thread of its own.
 */
public final class OutOfMemoryChild {

  private OutOfMemoryChild() {
  }

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    FatalErrors.install(vertx);
    boolean inHandler = args[0].equals("handler");
    int port = vertx.createHttpServer().requestHandler(req -> {
      if (req.path().equals("/grow")) exhaust();
      req.response().end("alive\n");
    }).listen(0).await().actualPort();
    System.out.println("port " + port);
    System.out.flush();
    if (!inHandler) new Thread(OutOfMemoryChild::exhaust, "grower").start();
    Thread.sleep(60_000);
    System.out.println("still alive after 60 s");
  }

  private static void exhaust() {
    List<long[]> held = new ArrayList<>();
    while (true) held.add(new long[1 << 20]);
  }
}
