package dev.streamchat.model.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The whole app with STREAMCHAT_GGUF=stories260K.gguf, used through the JSON/SSE API over real sockets. */
class GgufAppTest {

  private static TestServer server;
  private static ApiClient client;

  @BeforeAll
  static void start() throws Exception {
    String model = Stories260K.path().toString();
    long begin = System.nanoTime();
    server = TestServer.start(Map.of("STREAMCHAT_GGUF", model));
    System.out.printf("figure: app start with GGUF %.0f ms%n", (System.nanoTime() - begin) / 1e6);
    client = server.client();
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) server.close();
  }

  private static String ask(String conversation, String content, int maxTokens) {
    ApiClient.Reply r = client.post("/api/conversations/" + conversation + "/messages",
        new JsonObject().put("content", content).put("model", Stories260K.ID).put("maxTokens", maxTokens));
    assertEquals(202, r.status(), r.body());
    return r.json().getString("generationId");
  }

  /** Concatenated text of chunk events, checking ids increase and that only the last is the end. */
  private static String textOf(List<SseEvent> events) {
    StringBuilder text = new StringBuilder();
    long last = 0;
    for (int i = 0; i < events.size(); i++) {
      SseEvent e = events.get(i);
      if (e.isEnd()) {
        assertEquals(events.size() - 1, i, "end is the last event");
        continue;
      }
      assertTrue(e.id() > last, "ids increase");
      last = e.id();
      text.append(e.json().getString("text"));
    }
    return text.toString();
  }

  @Test
  void theModelIsListedBesideTheDemo() {
    JsonArray models = client.get("/api/models").array();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < models.size(); i++) {
      JsonObject m = models.getJsonObject(i);
      ids.add(m.getString("id"));
      if (m.getString("id").equals(Stories260K.ID)) assertEquals("gguf", m.getString("provider"));
    }
    assertTrue(ids.contains(Stories260K.ID) && ids.contains("demo"), ids.toString());
  }

  @Test
  void anAnswerStreamsInChunksAndResumesFromLastEventId() {
    String gid = ask(client.newConversation(), "Tell me a story about a dog.", 300);
    List<SseEvent> firstPart = new ArrayList<>();
    long lastId;
    try (SseConnection c = client.events(gid, null, null)) {
      for (SseEvent e; firstPart.size() < 3 && (e = c.next()) != null && !e.isEnd(); ) firstPart.add(e);
    }
    assertTrue(!firstPart.isEmpty(), "chunks before the cut");
    lastId = firstPart.get(firstPart.size() - 1).id();
    List<SseEvent> rest = client.readAll(gid, lastId, null);
    SseEvent end = rest.get(rest.size() - 1);
    assertTrue(end.isEnd());
    assertEquals("done", end.json().getString("state"));
    JsonObject g = client.generation(gid);
    assertEquals(Stories260K.ID, g.getString("model"));
    assertTrue(g.getInteger("chunks") >= 2, "several chunks: " + g.getInteger("chunks"));
    assertTrue(g.getInteger("chunks") <= 300);
    assertEquals(g.getString("text"), textOf(firstPart) + textOf(rest), "no gap, no duplicate across the resume");
    assertTrue(firstPart.size() + rest.size() - 1 >= 2, "more than one chunk event");
  }

  @Test
  void stopEndsTheAnswerAndASecondAnswerFollows() {
    String conversation = client.newConversation();
    String gid = ask(conversation, "Tell me a very long story.", 3000);
    long seenBeforeStop = 0;
    try (SseConnection c = client.events(gid, null, null)) {
      for (SseEvent e; seenBeforeStop < 20 && (e = c.next()) != null && !e.isEnd(); ) seenBeforeStop = e.id();
    }
    assertTrue(seenBeforeStop >= 20, "the answer was still running when stopped");
    long stopStart = System.nanoTime();
    ApiClient.Reply stop = client.post("/api/generations/" + gid + "/stop", "{}");
    double stopMs = (System.nanoTime() - stopStart) / 1e6;
    assertEquals(200, stop.status(), stop.body());
    assertEquals("stopped", stop.json().getString("state"));
    long stoppedAt = System.currentTimeMillis();
    long atStop = client.generation(gid).getLong("chunks");

    String second = ask(conversation, "And another one.", 20);
    List<SseEvent> events = client.readAll(second, null, null);
    long nextFirstChunkMs = events.get(0).receivedAtMillis() - stoppedAt;
    SseEvent end = events.get(events.size() - 1);
    assertEquals("done", end.json().getString("state"), "a second answer after Stop runs to its end");
    assertTrue(end.json().getInteger("chunks") >= 1);

    JsonObject stopped = client.generation(gid);
    assertEquals("stopped", stopped.getString("state"));
    assertEquals(atStop, stopped.getLong("chunks"), "no chunk is appended after Stop");
    System.out.printf("figure: GGUF via API: Stop request %.1f ms; client had seen %d chunks, log holds %d;"
        + " next answer's first chunk %d ms after Stop returned%n", stopMs, seenBeforeStop, atStop, nextFirstChunkMs);
  }

  @Test
  void maxTokensBoundsTheAnswer() {
    String gid = ask(client.newConversation(), "Once upon a time", 5);
    List<SseEvent> events = client.readAll(gid, null, null);
    SseEvent end = events.get(events.size() - 1);
    assertEquals("done", end.json().getString("state"));
    int chunks = end.json().getInteger("chunks");
    assertTrue(chunks >= 1 && chunks <= 5, "1 to 5 chunks, got " + chunks);
    assertEquals(client.generation(gid).getString("text"), textOf(events));
  }

  @Test
  void tokensPerSecondThroughTheApi() {
    String gid = ask(client.newConversation(), "Tell me a story.", 400);
    long start = System.currentTimeMillis();
    List<SseEvent> events = client.readAll(gid, null, null);
    SseEvent end = events.get(events.size() - 1);
    assertEquals("done", end.json().getString("state"));
    int chunks = end.json().getInteger("chunks");
    double seconds = Math.max(1, end.receivedAtMillis() - events.get(0).receivedAtMillis()) / 1000.0;
    System.out.printf("figure: GGUF via API: %d chunks in %d events, first chunk %d ms after the request,"
        + " %.0f chunks/s%n", chunks, events.size() - 1, events.get(0).receivedAtMillis() - start, chunks / seconds);
  }
}
