package dev.streamchat.stream.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.model.FakeModelServer;
import dev.streamchat.model.WireStreams;
import dev.streamchat.stream.GenerationRequest;
import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.ChildInstance;
import dev.streamchat.testing.TestDatabase;
import dev.streamchat.testing.TestRedis;
import dev.streamchat.testing.TestServer;
import dev.streamchat.testing.Viewer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What the model is sent when an instance takes over the answer of one killed with {@code kill -9},
 * on a model server that answers what it is asked: the turns first asked, the text logged before the
 * kill as the model's own turn and the Continue instruction; and the answer that results is exactly
 * that text followed by what the model wrote next, seen by a viewer with nothing missing or twice.
 */
class TakeoverContinuationTest {

  private static final String MODEL = "openai:fake-gpt";
  /** A short lease, so the test waits less for the death to be noticed; the bound below scales with it. */
  private static final int LEASE_MS = 2000;
  private static final String QUESTION = "Tell me about rivers, please.";
  /** Written by the model on the instance that dies; the model then writes nothing more. */
  private static final List<String> BEFORE = List.of("Rivers", " run", " to the sea — ", "ünd 🙂", " yet");
  /** Written by the model when asked to go on. */
  private static final List<String> AFTER = List.of(" the sea", " is never", " full.");

  @Test
  void theTakerSendsTheModelTheTurnsTheLoggedTextAndTheContinueInstructionAndAppendsWhatItWrites() throws Exception {
    String before = String.join("", BEFORE);
    String after = String.join("", AFTER);
    List<JsonObject> asked = new CopyOnWriteArrayList<>();
    CountDownLatch release = new CountDownLatch(1);
    Path dir = Files.createTempDirectory("streamchat-takeover-wire");
    try (TestDatabase db = TestDatabase.of("postgresql"); TestRedis redis = TestRedis.machine();
        FakeModelServer model = new FakeModelServer((req, ex) -> {
          if (req.path().startsWith("/v1/models")) {
            ex.reply(200, "application/json", "{\"object\":\"list\",\"data\":[{\"id\":\"fake-gpt\",\"object\":\"model\"}]}");
            return;
          }
          asked.add(new JsonObject(req.body()));
          ex.begin("text/event-stream");
          if (asked.size() == 1) {
            for (String p : BEFORE) ex.write(event(WireStreams.openAiChunk(new WireStreams.Piece(false, p))));
            // Hangs mid-answer until the instance asking is killed (or the test ends).
            release.await(60, TimeUnit.SECONDS);
            return;
          }
          for (String p : AFTER) ex.write(event(WireStreams.openAiChunk(new WireStreams.Piece(false, p))));
          ex.write(event("{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"));
          ex.write(event("[DONE]"));
          ex.end();
        })) {
      Map<String, String> env = db.env(redis.env(Map.of("OPENAI_BASE_URL", model.url("/v1"),
          "OPENAI_API_KEY", "sk-test-key-of-the-fake", "STREAMCHAT_REDIS_LEASE_MS", Integer.toString(LEASE_MS))));
      try (ChildInstance dying = ChildInstance.start(dir, env); TestServer survivor = TestServer.instance(env)) {
        ApiClient onDying = ApiClient.of(dying.url(""));
        ApiClient onSurvivor = onDying.at(survivor.url(""));
        String conversation = onDying.newConversation();
        String gid = onDying.ask(conversation, QUESTION, MODEL, 500);
        try (Viewer viewer = new Viewer(onSurvivor, gid)) {
          awaitText(viewer, before, 20_000);
          dying.kill();
          long killedAt = System.currentTimeMillis();

          JsonObject end = viewer.awaitEnd(15_000);
          assertEquals("done", end.getString("state"), "the answer carried on to its end: " + end);
          assertEquals(2, asked.size(), "one request from the instance that died, one from the one that took over");
          JsonArray first = asked.get(0).getJsonArray("messages");
          assertEquals(new JsonObject().put("role", "user").put("content", QUESTION), first.getJsonObject(first.size() - 1),
              "the first request asks the question");
          JsonArray expected = first.copy()
              .add(new JsonObject().put("role", "assistant").put("content", before))
              .add(new JsonObject().put("role", "user").put("content", GenerationRequest.CONTINUE_INSTRUCTION));
          assertEquals(expected, asked.get(1).getJsonArray("messages"),
              "the taker sends the turns first asked, the logged text as the model's own turn and the Continue instruction");
          assertEquals(asked.get(0).getString("model"), asked.get(1).getString("model"));

          long continuedAt = viewer.seen().stream().filter(s -> s.at() >= killedAt).mapToLong(Viewer.Seen::at)
              .findFirst().orElseThrow(() -> new AssertionError("no chunk came after the kill"));
          System.out.println("kill -9 to the answer continuing with the model's next text: " + (continuedAt - killedAt) + " ms");
          assertTrue(continuedAt - killedAt < LEASE_MS + 4000, "continued within the lease and 4 s of the kill");
          long last = 0;
          for (Viewer.Seen s : viewer.seen()) {
            assertTrue(s.id() > last, "chunk " + s.id() + " after " + last + ": nothing twice");
            last = s.id();
          }
          assertEquals(before + after, viewer.text(), "the viewer saw the logged text and then what the model went on with");
          assertEquals(before + after, onSurvivor.generation(gid).getString("text"));
          assertSaved(onSurvivor, conversation, gid, before + after);
        }
      } finally {
        release.countDown();
      }
    } finally {
      TestServer.deleteTree(dir);
    }
  }

  private static byte[] event(String data) {
    return ("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
  }

  /** Waits until the viewer has seen exactly {@code text} (all of it logged, nothing more). */
  private static void awaitText(Viewer viewer, String text, long ms) throws InterruptedException {
    long deadline = System.currentTimeMillis() + ms;
    while (!viewer.text().equals(text)) {
      assertTrue(viewer.text().length() <= text.length() && System.currentTimeMillis() < deadline,
          "the viewer saw '" + viewer.text() + "', waiting for '" + text + "'");
      Thread.sleep(10);
    }
  }

  private static void assertSaved(ApiClient client, String conversation, String gid, String text) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 5000;
    while (true) {
      for (Object o : client.get("/api/conversations/" + conversation).json().getJsonArray("messages")) {
        JsonObject m = (JsonObject) o;
        if (gid.equals(m.getString("generationId")) && "done".equals(m.getString("state"))) {
          assertEquals(text, m.getString("content"), "the saved answer is the logged text and its continuation");
          return;
        }
      }
      assertTrue(System.currentTimeMillis() < deadline, "the answer is not saved as done");
      Thread.sleep(100);
    }
  }
}
