package dev.streamchat.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.streamchat.model.http.HttpStreamClient;
import dev.streamchat.model.http.Redactor;
import dev.streamchat.model.http.Timeouts;
import dev.streamchat.model.openai.OpenAiStreamParser;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An answer is read from its socket on the event loop that parses it and runs its pipeline:
 * a kept-alive connection is reused only by answers asked from the loop it lives on. Shared across
 * loops, a reused connection would read each token on one thread and hand it to another.
 */
class UpstreamLoopTest {

  private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aKeptAliveConnectionServesOnlyAnswersAskedFromItsOwnLoop() throws Exception {
    List<HttpConnection> servedOn = new CopyOnWriteArrayList<>();
    byte[] answer = WireStreams.openAi(WireStreams.ANSWER, true);
    HttpServer server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      servedOn.add(req.connection());
      req.response().putHeader("Content-Type", "text/event-stream").end(io.vertx.core.buffer.Buffer.buffer(answer));
    }));
    int port = server.listen(0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
    HttpStreamClient client = new HttpStreamClient(vertx, Timeouts.defaults());
    Context loopA = ((VertxInternal) vertx).createEventLoopContext();
    Context loopB = ((VertxInternal) vertx).createEventLoopContext();
    assertNotSame(((ContextInternal) loopA).nettyEventLoop(), ((ContextInternal) loopB).nettyEventLoop(),
        "two contexts on the two loops");

    String url = "http://127.0.0.1:" + port + "/v1/chat/completions";
    for (Context from : List.of(loopA, loopB, loopA, loopB)) {
      assertEquals(WireStreams.text(WireStreams.ANSWER), ask(client, url, from), "each answer whole");
    }
    assertEquals(4, servedOn.size());
    assertSame(servedOn.get(0), servedOn.get(2), "loop A's second answer reuses loop A's connection");
    assertSame(servedOn.get(1), servedOn.get(3), "loop B's second answer reuses loop B's connection");
    assertNotSame(servedOn.get(0), servedOn.get(1), "loop B does not take loop A's idle connection");
    server.close();
  }

  /** Streams one answer asked from {@code from}; its text once complete. */
  private String ask(HttpStreamClient client, String url, Context from) throws Exception {
    CompletableFuture<String> done = new CompletableFuture<>();
    StringBuilder text = new StringBuilder();
    StreamListener listener = new StreamListener() {
      @Override
      public void onText(String t) {
        text.append(t);
      }

      @Override
      public void onReasoning(String t) {
      }

      @Override
      public void onComplete(FinishReason reason, Usage usage) {
        done.complete(text.toString());
      }

      @Override
      public void onFailure(Failure failure) {
        done.completeExceptionally(new AssertionError(failure.message()));
      }
    };
    from.runOnContext(v -> client.stream(url, Map.of(), new JsonObject(), "m",
        l -> new OpenAiStreamParser(l, new Redactor()), listener));
    return done.get(10, TimeUnit.SECONDS);
  }
}
