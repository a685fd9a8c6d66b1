package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The event stream of shared/API.md, over real sockets: full, resumed, shared, stopped. */
class StreamingApiTest {

  private static TestServer server;
  private static ApiClient client;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "400"));
    client = server.client();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  /** The text an event list carries, checking ids increase and exactly one end closes it. */
  private static String textOf(List<SseEvent> events, long after) {
    StringBuilder text = new StringBuilder();
    long last = after;
    for (int i = 0; i < events.size(); i++) {
      SseEvent e = events.get(i);
      if (e.isEnd()) {
        assertEquals(events.size() - 1, i, "end is the last event");
        continue;
      }
      assertEquals("chunk", e.event());
      assertNotNull(e.id(), "every chunk event has an id");
      assertTrue(e.id() > last, "ids strictly increase: " + e.id() + " after " + last);
      assertEquals(e.id(), e.json().getLong("seq"), "seq is the event id");
      last = e.id();
      text.append(e.json().getString("text"));
    }
    return text.toString();
  }

  private static JsonObject awaitFinal(String gid) throws InterruptedException {
    for (int i = 0; i < 600; i++) {
      JsonObject g = client.generation(gid);
      if (!g.getString("state").equals("running")) return g;
      Thread.sleep(20);
    }
    throw new AssertionError("generation " + gid + " did not end");
  }

  @Test
  void aFullStreamCarriesTheStoredTextAndEndsOnce() throws Exception {
    String gid = client.ask(client.newConversation(), "Tell me a story", 60);
    List<SseEvent> events = client.readAll(gid, null, null);
    SseEvent end = events.get(events.size() - 1);
    assertTrue(end.isEnd());
    assertEquals("done", end.json().getString("state"));
    assertEquals(60, end.json().getInteger("chunks"));
    JsonObject g = client.generation(gid);
    assertEquals("done", g.getString("state"));
    assertEquals(g.getString("text"), textOf(events, 0));
    assertTrue(g.getString("text").startsWith("This is the built-in **demo model**"));
  }

  @Test
  void resumingAtAnyPointGivesTheRestWithNoGapOrDuplicate() throws Exception {
    String gid = client.ask(client.newConversation(), "resume me", 80);
    List<SseEvent> live = client.readAll(gid, null, null);
    String full = client.generation(gid).getString("text");
    // a client can only resume from an id it has seen: cut at the ids of events received live
    List<SseEvent> chunks = live.subList(0, live.size() - 1);
    assertTrue(chunks.size() > 20, "the live stream came in many events: " + chunks.size());
    Random random = new Random(42);
    for (int i = 0; i < 30; i++) {
      int k = random.nextInt(chunks.size() + 1);
      long cut = k == 0 ? 0 : chunks.get(k - 1).id();
      String before = textOf(chunks.subList(0, k), 0);
      boolean header = i % 2 == 0;
      List<SseEvent> rest = header ? client.readAll(gid, cut, null) : client.readAll(gid, null, cut);
      assertEquals(full, before + textOf(rest, cut), "resume after " + cut + (header ? " by header" : " by ?after"));
    }
  }

  @Test
  void manyReconnectsDuringOneAnswerLoseAndRepeatNothing() throws Exception {
    server.close();
    server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "60"));
    client = server.client();
    String gid = client.ask(client.newConversation(), "reconnect a lot", 90);
    StringBuilder received = new StringBuilder();
    long cursor = 0;
    int reconnects = 0;
    boolean ended = false;
    while (!ended) {
      // alternate the two ways to resume, and read one to three events per connection
      try (SseConnection c = reconnects % 2 == 0 ? client.events(gid, cursor == 0 ? null : cursor, null)
          : client.events(gid, null, cursor)) {
        assertEquals(200, c.status());
        int take = 1 + reconnects % 3;
        for (int i = 0; i < take; i++) {
          SseEvent e = c.next();
          assertNotNull(e, "the stream stays open until its end event");
          if (e.isEnd()) {
            ended = true;
            break;
          }
          assertTrue(e.id() > cursor, "no event at or before the cursor is sent again");
          received.append(e.json().getString("text"));
          cursor = e.id();
        }
      }
      reconnects++;
    }
    assertTrue(reconnects > 10, "reconnected " + reconnects + " times");
    assertEquals(client.generation(gid).getString("text"), received.toString());
  }

  @Test
  void twoViewersSeeTheSameStreamAndALateViewerGetsReplayAndEnd() throws Exception {
    String gid = client.ask(client.newConversation(), "two viewers", 100);
    List<SseEvent> second = new ArrayList<>();
    Thread other = new Thread(() -> second.addAll(client.readAll(gid, null, null)));
    other.start();
    List<SseEvent> first = client.readAll(gid, null, null);
    other.join(30_000);
    String text = client.generation(gid).getString("text");
    assertEquals(text, textOf(first, 0));
    assertEquals(text, textOf(second, 0));

    List<SseEvent> late = client.readAll(gid, null, null);
    assertEquals(text, textOf(late, 0));
    assertTrue(late.get(late.size() - 1).isEnd());
    List<SseEvent> afterEnd = client.readAll(gid, 100L, null);
    assertEquals(1, afterEnd.size(), "a cursor at the end gets only the end event");
    assertTrue(afterEnd.get(0).isEnd());
  }

  @Test
  void closingEveryViewerDoesNotStopTheGeneration() throws Exception {
    String gid = client.ask(client.newConversation(), "nobody watching", 120);
    try (SseConnection a = client.events(gid, null, null); SseConnection b = client.events(gid, null, null)) {
      assertNotNull(a.next());
      assertNotNull(b.next());
    }
    JsonObject g = awaitFinal(gid);
    assertEquals("done", g.getString("state"));
    assertEquals(120, g.getInteger("chunks"));
  }

  @Test
  void stopEndsTheGenerationKeepsItsTextAndItGrowsNoMore() throws Exception {
    String gid = client.ask(client.newConversation(), "stop me", 5000);
    try (SseConnection c = client.events(gid, null, null)) {
      for (int i = 0; i < 5; i++) assertNotNull(c.next());
      ApiClient.Reply stop = client.post("/api/generations/" + gid + "/stop", "");
      assertEquals(200, stop.status());
      assertEquals("stopped", stop.json().getString("state"));
      SseEvent e;
      StringBuilder rest = new StringBuilder();
      while ((e = c.next()) != null && !e.isEnd()) rest.append(e.json().getString("text"));
      assertNotNull(e, "the stream ends with an end event");
      assertEquals("stopped", e.json().getString("state"));
    }
    JsonObject stopped = client.generation(gid);
    assertEquals("stopped", stopped.getString("state"));
    assertFalse(stopped.getString("text").isEmpty());
    assertTrue(stopped.getInteger("chunks") < 5000);
    Thread.sleep(300);
    assertEquals(stopped, client.generation(gid), "nothing is added after Stop");
    assertEquals("stopped", client.post("/api/generations/" + gid + "/stop", "").json().getString("state"),
        "Stop is idempotent");
    List<SseEvent> replay = client.readAll(gid, null, null);
    assertEquals(stopped.getString("text"), textOf(replay, 0));
  }

  @Test
  void aViewerThatSubscribesBeforeTheFirstChunkMissesNothing() throws Exception {
    String cid = client.newConversation();
    for (int i = 0; i < 5; i++) {
      String gid = client.ask(cid, "race " + i, 20);
      List<SseEvent> events = client.readAll(gid, null, null);
      assertEquals(client.generation(gid).getString("text"), textOf(events, 0));
    }
  }

  @Test
  void viewersJoiningWhileChunksPourInMissNothing() throws Exception {
    try (TestServer fast = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "200000",
        "STREAMCHAT_MAX_ANSWER_TOKENS", "100000"))) {
      ApiClient c = fast.client();
      String gid = c.ask(c.newConversation(), "pour", 60_000);
      List<Thread> viewers = new ArrayList<>();
      List<String> texts = java.util.Collections.synchronizedList(new ArrayList<>());
      Random random = new Random(7);
      for (int i = 0; i < 12; i++) {
        Thread.sleep(random.nextInt(40));
        Thread t = new Thread(() -> texts.add(textOf(c.readAll(gid, null, null), 0)));
        t.start();
        viewers.add(t);
      }
      for (Thread t : viewers) t.join(60_000);
      JsonObject g = c.generation(gid);
      assertEquals("done", g.getString("state"));
      assertEquals(12, texts.size());
      for (String t : texts) assertEquals(g.getString("text"), t, "a viewer that joined mid-append got it all once");
    }
  }

  @Test
  void theConversationKeepsBothTurns() throws Exception {
    String cid = client.newConversation();
    String gid = client.ask(cid, "  What is streaming?  ", 10);
    awaitFinal(gid);
    JsonObject conv = client.get("/api/conversations/" + cid).json();
    assertEquals("What is streaming?", conv.getString("title"));
    var messages = conv.getJsonArray("messages");
    assertEquals(2, messages.size());
    assertEquals("user", messages.getJsonObject(0).getString("role"));
    assertEquals("What is streaming?", messages.getJsonObject(0).getString("content"));
    assertNull(messages.getJsonObject(0).getString("generationId"));
    assertEquals(gid, messages.getJsonObject(1).getString("generationId"));
    assertEquals("done", messages.getJsonObject(1).getString("state"));
    assertEquals(client.generation(gid).getString("text"), messages.getJsonObject(1).getString("content"));
    assertEquals(cid, client.get("/api/conversations").array().getJsonObject(0).getString("id"),
        "the newest conversation is listed first");
  }
}
