package dev.streamchat.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.model.FakeProviders.Protocol;
import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each HTTP provider through the whole app over real sockets: a fake server writes the wire
 * format byte for byte, and what a program reads from the API is exactly what it sent.
 */
class ProviderStreamingTest {

  private static FakeProviders fakes;
  private static ApiClient client;

  @BeforeAll
  static void start() throws Exception {
    fakes = new FakeProviders(Map.of());
    client = fakes.app.client();
  }

  @AfterAll
  static void stop() throws Exception {
    fakes.close();
  }

  static JsonObject awaitFinal(String gid) throws InterruptedException {
    return awaitFinalWith(client, gid);
  }

  static JsonObject awaitFinalWith(ApiClient client, String gid) throws InterruptedException {
    for (int i = 0; i < 1000; i++) {
      JsonObject g = client.generation(gid);
      if (!g.getString("state").equals("running")) return g;
      Thread.sleep(10);
    }
    throw new AssertionError("generation " + gid + " did not end");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void theAnswerArrivesExactlyAsTheServerSentIt(Protocol p) throws Exception {
    fakes.onChat(p, FakeProviders.answer(p, WireStreams.ANSWER, 3));
    JsonArray models = client.get("/api/models").array();
    assertTrue(models.stream().anyMatch(m -> ((JsonObject) m).getString("id").equals(p.modelId)), "listed: " + models);

    String conv = client.newConversation();
    String gid = client.ask(conv, "Hello there", p.modelId, null);
    List<SseEvent> events = client.readAll(gid, null, null);
    StringBuilder text = new StringBuilder();
    StringBuilder reasoning = new StringBuilder();
    for (SseEvent e : events) {
      if (e.isEnd()) {
        assertEquals("done", e.json().getString("state"));
        continue;
      }
      text.append(e.json().getString("text"));
      reasoning.append(e.json().getString("reasoning", ""));
    }
    assertEquals(WireStreams.text(WireStreams.ANSWER), text.toString());
    assertEquals(WireStreams.reasoning(WireStreams.ANSWER), reasoning.toString());
    JsonObject g = client.generation(gid);
    assertEquals("done", g.getString("state"));
    assertEquals(WireStreams.text(WireStreams.ANSWER), g.getString("text"));
    assertEquals(WireStreams.reasoning(WireStreams.ANSWER), g.getString("reasoning"));
    assertEquals(p.modelId, g.getString("model"));

    FakeModelServer.Request req = fakes.server(p).lastRequest(p.chatPath);
    JsonObject body = new JsonObject(req.body());
    assertEquals(true, body.getBoolean("stream"));
    assertEquals("Hello there", body.getJsonArray("messages").getJsonObject(body.getJsonArray("messages").size() - 1).getString("content"));
    switch (p) {
      case OPENAI -> {
        assertEquals("Bearer " + FakeProviders.OPENAI_KEY, req.headers().get("authorization"));
        assertEquals(true, body.getJsonObject("stream_options").getBoolean("include_usage"));
        assertEquals("fake-gpt", body.getString("model"));
      }
      case ANTHROPIC -> {
        assertEquals(FakeProviders.ANTHROPIC_KEY, req.headers().get("x-api-key"));
        assertEquals("2023-06-01", req.headers().get("anthropic-version"));
        assertEquals("claude-fake", body.getString("model"));
      }
      case OLLAMA -> assertEquals("fake-llama:latest", body.getString("model"));
    }

    // On reload the page shows the reasoning (in its collapsible part) and the answer.
    String page = client.get("/c/" + conv).body();
    assertTrue(page.contains("I should greet back 🤔."), "reasoning on the reloaded page");
    assertTrue(page.contains("wörld 🙂"), "answer on the reloaded page");
    // The model chosen is kept with the conversation: the next message without one uses it.
    assertEquals(p.modelId, client.get("/api/conversations/" + conv).json().getString("model"));
    String next = client.ask(conv, "And again", null, null);
    assertEquals(p.modelId, awaitFinal(next).getString("model"));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void resumingAcrossAProviderStreamLosesAndRepeatsNothing(Protocol p) throws Exception {
    List<WireStreams.Piece> pieces = new ArrayList<>();
    for (int i = 0; i < 80; i++) pieces.add(new WireStreams.Piece(i % 10 == 0, (i % 7 == 0 ? " ü🙂" : " w") + i));
    fakes.onChat(p, (req, ex) -> {
      ex.begin(p.contentType);
      ex.writeAll(WireStreams.splitAcrossWrites(p.body(pieces, true), 23), 4);
      ex.end();
    });
    String gid = client.ask(client.newConversation(), "Count", p.modelId, null);
    StringBuilder text = new StringBuilder();
    long cursor = 0;
    boolean ended = false;
    int connections = 0;
    while (!ended) {
      connections++;
      try (SseConnection c = client.events(gid, cursor == 0 ? null : cursor, null)) {
        for (int read = 0; read < 3; read++) {
          SseEvent e = c.next();
          if (e == null) break;
          if (e.isEnd()) {
            ended = true;
            break;
          }
          assertTrue(e.id() > cursor, "ids increase across reconnects");
          cursor = e.id();
          text.append(e.json().getString("text"));
        }
      }
    }
    JsonObject g = awaitFinal(gid);
    assertEquals("done", g.getString("state"));
    assertEquals(WireStreams.text(pieces), g.getString("text"));
    assertEquals(g.getString("text"), text.toString(), "after " + connections + " connections");
    assertTrue(connections > 3, "the stream was resumed several times: " + connections);
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void stopClosesTheUpstreamConnection(Protocol p) throws Exception {
    byte[] token = p.body(List.of(new WireStreams.Piece(false, " tok")), false);
    // Only the token's own event: drop the preamble each protocol writes before it.
    byte[] tokenEvent = switch (p) {
      case OPENAI -> ("data: " + WireStreams.openAiChunk(new WireStreams.Piece(false, " tok")) + "\n\n").getBytes(StandardCharsets.UTF_8);
      case OLLAMA -> token;
      case ANTHROPIC -> ("event: content_block_delta\ndata: " + WireStreams.anthropicDelta(0, new WireStreams.Piece(false, " tok")) + "\n\n")
          .getBytes(StandardCharsets.UTF_8);
    };
    fakes.onChat(p, (req, ex) -> {
      ex.begin(p.contentType);
      ex.streamUntilClosed(tokenEvent, 20, 30_000);
    });
    FakeModelServer server = fakes.server(p);
    String gid = client.ask(client.newConversation(), "Go on forever", p.modelId, null);
    for (int i = 0; i < 500 && client.generation(gid).getLong("chunks") < 3; i++) Thread.sleep(10);
    assertTrue(client.generation(gid).getLong("chunks") >= 3, "tokens flow before Stop");

    long stopAt = System.nanoTime();
    assertEquals(200, client.post("/api/generations/" + gid + "/stop", "").status());
    long closedAt = server.awaitClientClose(5_000);
    assertNotEquals(-1, closedAt, p + ": the model server saw its connection closed after Stop");
    System.out.printf("STOP-TO-CLOSE %s: %.2f ms%n", p, (closedAt - stopAt) / 1e6);
    JsonObject g = client.generation(gid);
    assertEquals("stopped", g.getString("state"));
    assertTrue(g.getString("text").startsWith(" tok tok"), "the text so far is kept");
  }
}
