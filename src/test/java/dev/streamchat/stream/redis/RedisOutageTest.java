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
}
