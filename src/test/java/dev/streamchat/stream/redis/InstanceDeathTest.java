package dev.streamchat.stream.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestDatabase;
import dev.streamchat.testing.TestRedis;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An instance killed with {@code kill -9} while it writes answers that viewers on another
 * instance follow: within 10 s another instance notices (its lease ran out) and ends each answer
 * {@code interrupted} with every chunk that was shown, for the viewers and in the database.
 */
class InstanceDeathTest {

  @Test
  void theAnswersOfAKilledInstanceEndInterruptedWithinTenSecondsKeepingEveryChunkShown() throws Exception {
    Path dir = Files.createTempDirectory("streamchat-dying");
    try (TestDatabase db = TestDatabase.of("postgresql"); TestRedis redis = TestRedis.machine()) {
      Map<String, String> env = db.env(redis.env(Map.of("STREAMCHAT_DEMO_TPS", "20")));
      int port = TestRedis.freePort();
      Process child = startChild(dir, port, env);
      try (TestServer survivor = TestServer.instance(env)) {
        ApiClient onDying = ApiClient.of("http://127.0.0.1:" + port);
        String conversation = onDying.newConversation();
        String gid = onDying.ask(conversation, "a long answer", 5000);
        ApiClient onSurvivor = onDying.at(survivor.url(""));

        StringBuilder seen = new StringBuilder();
        long killedAt;
        String end;
        try (SseConnection events = onSurvivor.events(gid, null, null)) {
          for (int i = 0; i < 5; i++) seen.append(new JsonObject(events.next().data()).getString("text"));
          child.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: no goodbye
          killedAt = System.currentTimeMillis();
          SseEvent e;
          while ((e = events.next()) != null && !e.event().equals("end")) {
            seen.append(new JsonObject(e.data()).getString("text"));
          }
          assertTrue(e != null, "the stream ends with an end event");
          end = e.data();
        }
        long tookMs = System.currentTimeMillis() - killedAt;
        System.out.println("kill -9 to the answer's end on another instance: " + tookMs + " ms");
        assertTrue(tookMs < 10_000, "noticed within 10 s, took " + tookMs + " ms");
        assertEquals("interrupted", new JsonObject(end).getString("state"));

        JsonObject g = onSurvivor.generation(gid);
        assertEquals("interrupted", g.getString("state"));
        assertEquals(seen.toString(), g.getString("text"), "every chunk shown is kept, nothing twice");
        JsonObject saved = null;
        long deadline = System.currentTimeMillis() + 5000;
        while (saved == null && System.currentTimeMillis() < deadline) {
          for (Object o : onSurvivor.get("/api/conversations/" + conversation).json().getJsonArray("messages")) {
            JsonObject m = (JsonObject) o;
            if (gid.equals(m.getString("generationId")) && "interrupted".equals(m.getString("state"))) saved = m;
          }
          if (saved == null) Thread.sleep(100);
        }
        assertTrue(saved != null, "the answer is saved as interrupted");
        assertEquals(seen.toString(), saved.getString("content"));
      } finally {
        child.destroyForcibly();
      }
    } finally {
      TestServer.deleteTree(dir);
    }
  }

  private static Process startChild(Path dir, int port, Map<String, String> env) throws Exception {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "dev.streamchat.app.Main").redirectErrorStream(true);
    Map<String, String> all = new HashMap<>(env);
    all.put("STREAMCHAT_PORT", Integer.toString(port));
    all.put("STREAMCHAT_INSTANCE_ADDRESS", "127.0.0.1:" + port);
    all.put("STREAMCHAT_DATA_DIR", dir.toString());
    pb.environment().putAll(all);
    Process child = pb.start();
    CountDownLatch listening = new CountDownLatch(1);
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          if (line.contains("listening on port")) listening.countDown();
        }
      } catch (java.io.IOException ignored) {
        // the child was killed
      }
    }, "child-output");
    reader.setDaemon(true);
    reader.start();
    if (!listening.await(60, TimeUnit.SECONDS)) throw new AssertionError("the child instance did not start within 60 s");
    return child;
  }
}
