package dev.streamchat.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.stream.journal.Durability;
import dev.streamchat.stream.journal.Journal;
import dev.streamchat.stream.journal.JournalOptions;
import dev.streamchat.stream.journal.PreviousReleaseLogs;
import dev.streamchat.stream.journal.SegmentJournal;
import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.unbescape.html.HtmlEscape;

/**
 * A data dir of the previous release, which kept one JSON-lines log per answer under
 * {@code streams/}: a finished answer, and two the old server was killed in the middle of (one
 * log ending on a whole line, one with a torn last line). Started on it, the server imports the
 * logs into its journal once, and every answer reads back exactly: API, event stream and page.
 */
class UpgradeImportTest {

  private static final Map<String, String> ENV = Map.of("STREAMCHAT_DEMO_TPS", "200");

  @Test
  void theOldStreamLogsAreImportedOnceAndEveryAnswerReadsBackExactly() throws Exception {
    Path dir = Files.createTempDirectory("streamchat-upgrade");
    try {
      // The old release's database: one answer done, two still running when the process was killed.
      Process child = KillTest.startChild(dir, ENV);
      ApiClient alice;
      String conv;
      String done;
      JsonObject doneBefore;
      Map<String, String> seen = new LinkedHashMap<>();
      try {
        alice = ApiClient.of("http://127.0.0.1:" + KillTest.awaitPort(child));
        conv = alice.newConversation();
        done = alice.ask(conv, "A short one", 30);
        alice.awaitFinal(done);
        doneBefore = alice.generation(done);
        for (String title : List.of("Cut on a whole line", "Cut mid-line")) {
          String gid = alice.ask(alice.newConversation(), title, 20_000);
          seen.put(gid, firstChunks(alice, gid, 5));
        }
        child.destroyForcibly();
        assertTrue(child.waitFor(10, TimeUnit.SECONDS));
      } finally {
        child.destroyForcibly();
      }
      List<String> cut = List.copyOf(seen.keySet());

      // Its stream logs, in the old format, with the same text as this run's journal holds.
      Map<String, String> expected = writeOldLogs(dir, List.of(done, cut.get(0), cut.get(1)), cut.get(1));
      TestServer.deleteTree(dir.resolve("journal"));

      try (TestServer upgraded = TestServer.startOn(dir, ENV)) {
        assertFalse(Files.exists(dir.resolve("streams")), "the old logs are gone once imported");
        ApiClient same = alice.at(upgraded.url(""));
        assertEquals(doneBefore, same.generation(done), "the finished answer, its end record included");
        for (String gid : cut) {
          JsonObject g = same.generation(gid);
          assertEquals("interrupted", g.getString("state"));
          assertEquals("The server stopped while this answer was being written.", g.getString("error"));
          assertEquals(expected.get(gid), g.getString("text"), "every whole chunk of the old log, nothing of a torn line");
          assertTrue(g.getString("text").startsWith(seen.get(gid)), "what the viewer saw is kept");
        }
        for (String gid : expected.keySet()) {
          assertEquals(expected.get(gid), replay(same, gid), "the event stream replays the imported chunks");
          JsonObject c = same.get("/api/conversations/" + same.generation(gid).getString("conversationId")).json();
          JsonObject answer = last(c.getJsonArray("messages"));
          assertEquals(expected.get(gid), answer.getString("content"), "the conversation keeps the imported text");
          String page = same.get("/c/" + c.getString("id")).body();
          assertTrue(page.contains("data-markdown=\"" + HtmlEscape.escapeHtml4Xml(expected.get(gid)) + "\""),
              "the page shows the imported answer");
          if (!gid.equals(done)) assertTrue(page.contains("Interrupted"), "the page says it was cut");
        }
      }

      try (TestServer again = TestServer.startOn(dir, ENV)) {
        ApiClient same = alice.at(again.url(""));
        for (String gid : expected.keySet()) {
          assertEquals(expected.get(gid), same.generation(gid).getString("text"), "the next start imports nothing twice");
        }
      }
    } finally {
      TestServer.deleteTree(dir);
    }
  }

  private static String firstChunks(ApiClient client, String gid, int n) {
    StringBuilder text = new StringBuilder();
    try (SseConnection events = client.events(gid, null, null)) {
      for (int i = 0; i < n; i++) text.append(events.next().json().getString("text"));
    }
    return text.toString();
  }

  private static String replay(ApiClient client, String gid) {
    StringBuilder text = new StringBuilder();
    for (SseEvent e : client.readAll(gid, null, 0L)) {
      if ("chunk".equals(e.event())) text.append(e.json().getString("text"));
    }
    return text.toString();
  }

  private static JsonObject last(JsonArray messages) {
    return messages.getJsonObject(messages.size() - 1);
  }

  /**
   * Writes each generation's log as the previous release did ({@code streams/<id>.jsonl}: start
   * line, a line per chunk, end line when it ended); {@code torn} gets half of one more chunk line.
   * Answers the text each log holds.
   */
  private static Map<String, String> writeOldLogs(Path dir, List<String> ids, String torn) throws Exception {
    Map<String, String> texts = new LinkedHashMap<>();
    Path streams = Files.createDirectories(dir.resolve("streams"));
    Vertx vertx = Vertx.vertx();
    SegmentJournal journal = new SegmentJournal(vertx, dir.resolve("journal"), JournalOptions.of(Durability.OS));
    try {
      for (String id : ids) {
        Journal.Slice s = journal.read(id, 0, Integer.MAX_VALUE).toCompletionStage().toCompletableFuture()
            .get(10, TimeUnit.SECONDS).orElseThrow();
        StringBuilder log = new StringBuilder(PreviousReleaseLogs.log(s.info(), s.chunks(), s.end()));
        StringBuilder text = new StringBuilder();
        for (Chunk c : s.chunks()) {
          if (c.kind() == Chunk.Kind.TEXT) text.append(c.text());
        }
        if (id.equals(torn)) log.append("{\"t\":\"c\",\"seq\":").append(s.lastSeq() + 1).append(",\"k\":\"t\",\"v\":\"never sh");
        assertFalse(text.isEmpty(), "the old log has text");
        Files.writeString(streams.resolve(id + ".jsonl"), log, StandardCharsets.UTF_8);
        texts.put(id, text.toString());
      }
    } finally {
      journal.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    return texts;
  }
}
