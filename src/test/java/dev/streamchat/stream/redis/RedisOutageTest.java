package dev.streamchat.stream.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestDatabase;
import dev.streamchat.testing.TestRedis;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Redis stopped under two running instances (a Redis of the test's own): they say they are not
 * ready, refuse new answers with a 503 that says why, and serve again by themselves once it is
 * back, live events between instances included.
 */
class RedisOutageTest {

  @Test
  void withoutRedisAnInstanceIsNotReadyAndRefusesNewAnswersThenRecoversByItself() throws Exception {
    try (TestDatabase db = TestDatabase.of("postgresql"); TestRedis redis = TestRedis.own()) {
      Map<String, String> env = db.env(redis.env(Map.of("STREAMCHAT_DEMO_TPS", "200", "STREAMCHAT_DEMO_TOKENS", "30",
          "STREAMCHAT_SSE_MAX_SECONDS", "20")));
      try (TestServer first = TestServer.instance(env); TestServer second = TestServer.instance(env)) {
        ApiClient person = first.client();
        String conversation = person.newConversation();
        assertEquals(200, person.get("/health/ready").status());

        redis.stopServer();
        ApiClient.Reply ready = person.get("/health/ready");
        assertEquals(503, ready.status(), ready.body());
        assertEquals("DOWN", ready.json().getJsonObject("checks").getJsonObject("streamStore").getString("status"));
        ApiClient.Reply refused = person.post("/api/conversations/" + conversation + "/messages",
            new JsonObject().put("content", "hello"));
        assertEquals(503, refused.status(), refused.body());
        assertTrue(refused.json().getString("error").contains("could not store the answer"), refused.body());

        redis.startServer();
        long deadline = System.currentTimeMillis() + 10_000;
        while (person.get("/health/ready").status() != 200 && System.currentTimeMillis() < deadline) Thread.sleep(100);
        assertEquals(200, person.get("/health/ready").status(), "ready again within 10 s");

        // A new answer on the first instance, followed live from the second: its subscription is back too.
        ApiClient onSecond = person.at(second.url(""));
        String gid = null;
        while (gid == null && System.currentTimeMillis() < deadline + 5_000) {
          var sent = person.post("/api/conversations/" + conversation + "/messages", new JsonObject().put("content", "again"));
          if (sent.status() == 202) gid = sent.json().getString("generationId");
          else Thread.sleep(200);
        }
        assertTrue(gid != null, "new answers are taken again");
        List<SseEvent> events = onSecond.readAll(gid, null, null);
        StringBuilder text = new StringBuilder();
        for (SseEvent e : events) if (e.event().equals("chunk")) text.append(new JsonObject(e.data()).getString("text"));
        assertEquals("end", events.get(events.size() - 1).event());
        assertEquals(person.awaitFinal(gid).getString("text"), text.toString());
        assertEquals("done", person.awaitFinal(gid).getString("state"));
      }
    }
  }

  @Test
  void anAnswerThatEndsWhileTheFanOutIsCutOffStillReachesItsViewerOnAnotherInstance() throws Exception {
    try (TestDatabase db = TestDatabase.of("postgresql"); TestRedis redis = TestRedis.own()) {
      Map<String, String> env = db.env(redis.env(Map.of("STREAMCHAT_DEMO_TPS", "100", "STREAMCHAT_DEMO_TOKENS", "30",
          "STREAMCHAT_SSE_MAX_SECONDS", "20")));
      try (TestServer first = TestServer.instance(env); TestServer second = TestServer.instance(env)) {
        ApiClient person = first.client();
        String gid = person.ask(person.newConversation(), "hello", 30);
        ApiClient onSecond = person.at(second.url(""));
        try (var events = onSecond.events(gid, null, null)) {
          SseEvent firstEvent = events.next();
          assertEquals("chunk", firstEvent.event());
          StringBuilder text = new StringBuilder(new JsonObject(firstEvent.data()).getString("text"));
          // Every subscription is cut: the rest of the answer and its end are published to nobody.
          assertTrue(redis.command("CLIENT KILL TYPE pubsub").startsWith(":"));
          assertEquals("done", person.awaitFinal(gid).getString("state"));
          SseEvent e;
          String last = null;
          while ((e = events.next()) != null) {
            last = e.event();
            if (e.event().equals("chunk")) text.append(new JsonObject(e.data()).getString("text"));
          }
          assertEquals("end", last, "the end arrives once the subscription is back");
          assertEquals(person.awaitFinal(gid).getString("text"), text.toString());
        }
      }
    }
  }

  @Test
  void anAnswerCutOffByAnOutageEndsFailedWithTheTextShownOnceRedisIsBack() throws Exception {
    try (TestDatabase db = TestDatabase.of("postgresql"); TestRedis redis = TestRedis.own(true)) {
      Map<String, String> env = db.env(redis.env(Map.of("STREAMCHAT_DEMO_TPS", "50")));
      try (TestServer first = TestServer.instance(env); TestServer second = TestServer.instance(env)) {
        ApiClient person = first.client();
        String conversation = person.newConversation();
        String gid = person.ask(conversation, "hello", 5000);
        StringBuilder shown = new StringBuilder();
        try (var events = person.events(gid, null, null)) {
          for (int i = 0; i < 5; i++) shown.append(new JsonObject(events.next().data()).getString("text"));
        }
        redis.stopServer();
        Thread.sleep(1500);
        redis.startServer();

        ApiClient onSecond = person.at(second.url(""));
        JsonObject ended = null;
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
          var g = onSecond.get("/api/generations/" + gid);
          if (g.status() == 200 && !g.json().getString("state").equals("running")) {
            ended = g.json();
            break;
          }
          Thread.sleep(100);
        }
        assertTrue(ended != null, "the end reached Redis once it was back");
        assertEquals("failed", ended.getString("state"));
        assertTrue(ended.getString("error").contains("could not store"), ended.encode());
        assertTrue(ended.getString("text").startsWith(shown.toString()), "what was shown is kept");
        // ...and the answer is saved in the database, as it ended.
        JsonObject saved = null;
        while (System.currentTimeMillis() < deadline + 5_000) {
          for (Object o : person.get("/api/conversations/" + conversation).json().getJsonArray("messages")) {
            JsonObject m = (JsonObject) o;
            if (gid.equals(m.getString("generationId")) && "failed".equals(m.getString("state"))) saved = m;
          }
          if (saved != null) break;
          Thread.sleep(100);
        }
        assertTrue(saved != null, "the answer is saved as failed");
        assertEquals(ended.getString("text"), saved.getString("content"));
      }
    }
  }
}
