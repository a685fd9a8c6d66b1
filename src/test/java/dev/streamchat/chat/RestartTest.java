package dev.streamchat.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestDatabase;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Stopping the server and starting it again on the same data keeps everything, on both databases. */
class RestartTest {

  static final List<String> KINDS = TestDatabase.KINDS;

  @ParameterizedTest
  @FieldSource("KINDS")
  void aCleanRestartKeepsConversationsAnswersAndTheCutAnswer(String kind) throws Exception {
    Path dir = Files.createTempDirectory("streamchat-restart");
    try (TestDatabase db = TestDatabase.of(kind)) {
      Map<String, String> env = db.env(Map.of("STREAMCHAT_DEMO_TPS", "200"));
      String done;
      String cut;
      String conv;
      String seen;
      ApiClient alice;
      try (TestServer first = TestServer.startOn(dir, env)) {
        alice = first.client();
        conv = alice.newConversation();
        done = alice.ask(conv, "What is kept?", 30);
        alice.awaitFinal(done);
        cut = alice.ask(conv, "A long one", 5000);
        StringBuilder text = new StringBuilder();
        try (SseConnection events = alice.events(cut, null, null)) {
          for (int i = 0; i < 5; i++) {
            SseEvent e = events.next();
            text.append(e.json().getString("text"));
          }
        }
        seen = text.toString();
        assertEquals(201, alice.post("/api/conversations", new JsonObject().put("title", "Second")).status());
      }

      try (TestServer second = TestServer.startOn(dir, env)) {
        ApiClient same = alice.at(second.url(""));
        JsonArray list = same.get("/api/conversations").array();
        assertEquals(2, list.size());
        assertEquals(conv, list.getJsonObject(1).getString("id"), "newest first: the untouched one was made last");
        assertEquals("What is kept?", list.getJsonObject(1).getString("title"), "the title made from the first message");

        JsonObject c = same.get("/api/conversations/" + conv).json();
        JsonArray ms = c.getJsonArray("messages");
        assertEquals(4, ms.size());
        JsonObject doneGen = same.generation(done);
        assertEquals("done", doneGen.getString("state"));
        assertEquals(doneGen.getString("text"), ms.getJsonObject(1).getString("content"));
        assertEquals("done", ms.getJsonObject(1).getString("state"));

        JsonObject cutGen = same.generation(cut);
        assertEquals("interrupted", cutGen.getString("state"));
        assertTrue(cutGen.getString("text").startsWith(seen), "what the viewer saw is kept");
        assertEquals("interrupted", ms.getJsonObject(3).getString("state"));
        assertEquals(cutGen.getString("text"), ms.getJsonObject(3).getString("content"));

        ApiClient stranger = second.client();
        assertEquals(0, stranger.get("/api/conversations").array().size(), "sessions do not see each other's");
        assertEquals(404, stranger.get("/api/conversations/" + conv).status());
        assertEquals(404, stranger.get("/api/generations/" + cut).status());
      }
    } finally {
      TestServer.deleteTree(dir);
    }
  }
}
