package dev.streamchat.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.model.FakeProviders.Protocol;
import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * With {@code STREAMCHAT_UPSTREAM_HTTP2=prior-knowledge} a plain-HTTP model server that speaks
 * HTTP/2 (h2c) gets every answer as a stream of a shared connection (one per event loop of the app
 * at most: an answer is read on the loop it runs on), and each answer arrives whole.
 */
@ExtendWith(VertxExtension.class)
class Http2UpstreamTest {

  @Test
  void answersShareOneHttp2Connection(Vertx vertx) throws Exception {
    AtomicInteger connections = new AtomicInteger();
    Set<HttpVersion> versions = ConcurrentHashMap.newKeySet();
    byte[] body = WireStreams.openAi(WireStreams.ANSWER, true);
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(true))
        .connectionHandler(c -> connections.incrementAndGet())
        .requestHandler(req -> {
          versions.add(req.version());
          if (req.path().startsWith("/v1/models")) {
            req.response().putHeader("Content-Type", "application/json").end(Protocol.OPENAI.modelsJson);
            return;
          }
          req.body().onSuccess(b -> {
            var resp = req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
            // Slowly, in pieces, so that the answers are open at the same time.
            int step = 97;
            AtomicInteger at = new AtomicInteger();
            vertx.setPeriodic(5, id -> {
              int from = at.getAndAdd(step);
              if (from >= body.length) {
                vertx.cancelTimer(id);
                resp.end();
                return;
              }
              resp.write(Buffer.buffer(java.util.Arrays.copyOfRange(body, from, Math.min(body.length, from + step))));
            });
          });
        });
    server.listen(0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    // Vert.x's default, the most event loops the app can have; more answers than that at once must share.
    int loops = 2 * Runtime.getRuntime().availableProcessors();
    int answers = loops + 4;
    try (TestServer app = TestServer.start(Map.of("OPENAI_BASE_URL", "http://127.0.0.1:" + server.actualPort() + "/v1",
        "STREAMCHAT_UPSTREAM_HTTP2", "prior-knowledge", "STREAMCHAT_MAX_GENERATIONS_PER_SESSION", String.valueOf(answers)))) {
      ApiClient client = app.client();
      List<String> gids = new ArrayList<>();
      for (int i = 0; i < answers; i++) gids.add(client.ask(client.newConversation(), "hi " + i, Protocol.OPENAI.modelId, null));
      for (String gid : gids) {
        var g = client.awaitFinal(gid);
        assertEquals("done", g.getString("state"));
        assertEquals(WireStreams.text(WireStreams.ANSWER), g.getString("text"));
      }
      assertEquals(Set.of(HttpVersion.HTTP_2), versions, "every request over HTTP/2");
      assertTrue(connections.get() <= loops,
          connections.get() + " connections carry the model list and " + answers + " answers running at once: at most one per event loop");
    } finally {
      server.close();
    }
  }
}
