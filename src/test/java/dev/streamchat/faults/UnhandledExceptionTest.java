package dev.streamchat.faults;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.streamchat.app.FatalErrors;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.internal.VertxInternal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * With {@link FatalErrors} installed (as the server runs), what a handler throws is still logged:
 * a response written from another event loop than its connection's is refused by the strict
 * thread mode with an exception, and the request hangs; the log is where an operator finds why.
 */
class UnhandledExceptionTest {

  @Test
  void aResponseWrittenFromTheWrongEventLoopIsLoggedNotSilent() throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(logs);
    try {
      FatalErrors.install(vertx);
      AnswersFromElsewhere web = new AnswersFromElsewhere();
      vertx.deployVerticle(web).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      web.elsewhere = otherLoop(vertx, threadOf(web.context()));
      // HTTP/1.1, as the server speaks it: the strict thread mode guards HTTP/1.1 responses.
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.server.actualPort() + "/"))
          .timeout(Duration.ofSeconds(2)).build();
      assertThrows(HttpTimeoutException.class, () -> client.send(get, HttpResponse.BodyHandlers.ofString()),
          "the response written from the wrong loop never leaves");
      // On a busy machine the other loop may come to the write after the client gave up.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!refusalLogged(logs) && System.nanoTime() < deadline) Thread.sleep(20);
      assertTrue(refusalLogged(logs), "the refused write is in the log: " + logs.list);
    } finally {
      root.detachAppender(logs);
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static boolean refusalLogged(ListAppender<ILoggingEvent> logs) {
    synchronized (logs) { // logback appends under the appender's lock
      return logs.list.stream().anyMatch(e -> e.getLevel() == Level.ERROR && e.getThrowableProxy() != null
          && String.valueOf(e.getThrowableProxy().getMessage()).contains("Only the context thread can write"));
    }
  }

  /** A strict-mode server whose handler answers from another event loop's context. */
  private static final class AnswersFromElsewhere extends VerticleBase {
    volatile Context elsewhere;
    HttpServer server;

    @Override
    public Future<?> start() {
      return vertx.createHttpServer(new HttpServerOptions().setStrictThreadMode(true))
          .requestHandler(req -> elsewhere.runOnContext(v -> req.response().end("never sent")))
          .listen(0)
          .onSuccess(s -> server = s);
    }

    Context context() {
      return context;
    }
  }

  private static Thread threadOf(Context context) throws Exception {
    CompletableFuture<Thread> thread = new CompletableFuture<>();
    context.runOnContext(v -> thread.complete(Thread.currentThread()));
    return thread.get(10, TimeUnit.SECONDS);
  }

  /** An event-loop context whose thread is not {@code notThis} (new contexts take the loops in turn). */
  private static Context otherLoop(Vertx vertx, Thread notThis) throws Exception {
    for (int i = 0; i < 4; i++) {
      Context candidate = ((VertxInternal) vertx).createEventLoopContext();
      if (threadOf(candidate) != notThis) return candidate;
    }
    throw new AssertionError("no second event loop");
  }
}
