package dev.streamchat.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.model.FakeModelServer;
import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.FakeOpenAi;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import dev.streamchat.testing.SseConnection;
import java.net.ServerSocket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Moderation through the whole app, against a fake OpenAI-compatible {@code /v1/moderations}
 * endpoint that takes 20 ms, flags text with FORBIDDEN (violence) and answers 500 to text with BREAK.
 */
class ModerationAppTest {

  private static FakeOpenAi model;
  private static FakeModelServer moderation;
  private static TestServer app;
  private static final String ADMIN = "admin-token-for-moderation-tests";
  private static final CountDownLatch judgeHeld = new CountDownLatch(1);

  @BeforeAll
  static void start() throws Exception {
    model = new FakeOpenAi();
    moderation = new FakeModelServer((req, ex) -> {
      JsonArray inputs = new JsonObject(req.body()).getJsonArray("input");
      if (inputs.stream().anyMatch(i -> i.toString().contains("HOLD"))) judgeHeld.await(10, TimeUnit.SECONDS);
      Thread.sleep(20);
      if (inputs.stream().anyMatch(i -> i.toString().contains("BREAK"))) {
        ex.reply(500, "application/json", "{\"error\": {\"message\": \"overloaded\"}}");
        return;
      }
      JsonArray results = new JsonArray();
      for (Object i : inputs) {
        boolean flagged = i.toString().contains("FORBIDDEN");
        results.add(new JsonObject().put("flagged", flagged)
            .put("categories", new JsonObject().put("violence", flagged).put("hate", false)));
      }
      ex.reply(200, "application/json", new JsonObject().put("id", "modr-1").put("results", results).encode());
    });
    Map<String, String> env = new HashMap<>(model.env());
    env.put("STREAMCHAT_MODERATION_URL", moderation.url("/v1/moderations"));
    env.put("STREAMCHAT_MODERATION_API_KEY", "mod-key");
    env.put("STREAMCHAT_MESSAGES_PER_MINUTE", "1000");
    env.put("STREAMCHAT_ADMIN_TOKEN", ADMIN);
    app = TestServer.start(env);
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    model.close();
    moderation.close();
  }

  @Test
  void aFlaggedSentenceIsNeverSeenAndStopsTheModel() throws Exception {
    model.answer(List.of("Hello there. ", "This is fine. ", "Now FORBID", "DEN words. ", "After that."), true);
    ApiClient client = app.client();
    String gid = client.ask(client.newConversation(), "Tell me", FakeOpenAi.MODEL, null);
    List<SseEvent> events = client.readAll(gid, null, null);
    for (SseEvent e : events) assertFalse(e.data().contains("FORBID"), e.data());
    JsonObject end = events.get(events.size() - 1).json();
    assertEquals("failed", end.getString("state"));
    assertEquals("The answer was stopped by the content filter (violence).", end.getString("error"));
    JsonObject stored = client.awaitFinal(gid);
    assertEquals("Hello there. This is fine. ", stored.getString("text"));
    assertTrue(model.server().awaitClientClose(5000) > 0, "the model's stream was closed");
    assertEquals("Bearer mod-key", moderation.lastRequest("/v1/moderations").headers().get("authorization"));
    assertFalse(client.get("/api/conversations/" + stored.getString("conversationId")).body().contains("FORBID"));
    String metrics = admin("/metrics");
    assertTrue(metrics.contains("streamchat_filter_blocks_total{reason=\"moderation\"}"), metrics);
    assertTrue(metrics.contains("streamchat_moderation_latency_seconds_count{outcome=\"flagged\"}"), metrics);
  }

  @Test
  void textWaitsUnseenUntilItsWindowIsJudgedAndTheAdminPageCountsIt() throws Exception {
    model.answer(List.of("Please HOLD this sentence. ", "Then more."), false);
    ApiClient client = app.client();
    String gid = client.ask(client.newConversation(), "Tell me", FakeOpenAi.MODEL, null);
    try (SseConnection events = client.events(gid, null, null)) {
      long held = 0;
      for (int i = 0; i < 500 && held == 0; i++) {
        for (Object o : new JsonArray(admin("/api/admin/streams"))) {
          JsonObject row = (JsonObject) o;
          if (row.getString("id").equals(gid)) held = row.getLong("heldChars");
        }
        if (held == 0) Thread.sleep(10);
      }
      // The window being judged, and whatever came after it (it waits its turn).
      assertTrue(held >= "Please HOLD this sentence. ".length(), "held while the window is being judged: " + held);
      assertEquals(0, client.generation(gid).getLong("chunks"), "nothing released before the verdict");
      judgeHeld.countDown();
      SseEvent first = events.next();
      // While the window waited, the stream may have said that text is held (never what).
      while (first.event().equals("held")) {
        assertEquals(new JsonObject().put("held", true), first.json());
        first = events.next();
      }
      assertEquals("chunk", first.event());
      assertEquals("Please HOLD this sentence. ", first.json().getString("text"));
    }
    assertEquals("Please HOLD this sentence. Then more.", client.awaitFinal(gid).getString("text"));
  }

  private static String admin(String path) {
    ApiClient.Reply r = app.client().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(app.url(path)))
        .header("Authorization", "Bearer " + ADMIN).GET());
    assertEquals(200, r.status(), r.body());
    return r.body();
  }

  @Test
  void anEndpointThatFailsStopsTheAnswerClosed() throws Exception {
    model.answer(List.of("Lorem BREAK ipsum. ", "Dolor sit."), false);
    ApiClient client = app.client();
    String gid = client.ask(client.newConversation(), "Tell me", FakeOpenAi.MODEL, null);
    JsonObject stored = client.awaitFinal(gid);
    assertEquals("failed", stored.getString("state"));
    assertEquals(ModerationStage.UNAVAILABLE, stored.getString("error"));
    assertEquals("", stored.getString("text"));
  }

  @Test
  void aFlaggedMessageIsRefusedBeforeAnyModelIsAsked() throws Exception {
    ApiClient client = app.client();
    String conversation = client.newConversation();
    int asked = model.server().requests().size();
    ApiClient.Reply reply = client.post("/api/conversations/" + conversation + "/messages",
        new JsonObject().put("content", "Something FORBIDDEN").put("model", FakeOpenAi.MODEL));
    assertEquals(422, reply.status(), reply.body());
    assertEquals("The message was stopped by the content filter (violence).", reply.json().getString("error"));
    assertEquals(asked, model.server().requests().size(), "no model was asked");
  }

  @Test
  void anUnreachableEndpointRefusesMessagesClosed() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    Map<String, String> env = new HashMap<>(model.env());
    env.put("STREAMCHAT_MODERATION_URL", "http://127.0.0.1:" + closedPort + "/v1/moderations");
    try (TestServer own = TestServer.start(env)) {
      ApiClient client = own.client();
      ApiClient.Reply reply = client.post("/api/conversations/" + client.newConversation() + "/messages",
          new JsonObject().put("content", "Hello").put("model", FakeOpenAi.MODEL));
      assertEquals(503, reply.status(), reply.body());
      assertEquals(MessageModeration.UNAVAILABLE, reply.json().getString("error"));
    }
  }
}
