package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Rename, regenerate, continue, edit, paging and the storage limits, through the JSON API and the page. */
class HistoryApiTest {

  private static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "1000", "STREAMCHAT_MAX_CONVERSATIONS", "3",
        "STREAMCHAT_MAX_MESSAGES", "6"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static JsonArray messages(ApiClient client, String conv) {
    return client.get("/api/conversations/" + conv).json().getJsonArray("messages");
  }

  @Test
  void renameChangesTheTitleOnlyForItsOwner() {
    ApiClient alice = server.client();
    String conv = alice.newConversation();
    JsonObject renamed = alice.patch("/api/conversations/" + conv, new JsonObject().put("title", "  Trip\nplans ")).json();
    assertEquals("Trip plans", renamed.getString("title"));
    assertEquals("Trip plans", alice.get("/api/conversations/" + conv).json().getString("title"));
    assertEquals(400, alice.patch("/api/conversations/" + conv, new JsonObject().put("title", " ")).status());
    assertEquals(400, alice.patch("/api/conversations/" + conv, new JsonObject().put("title", 7)).status());
    assertEquals(404, server.client().patch("/api/conversations/" + conv, new JsonObject().put("title", "x")).status());
  }

  @Test
  void regenerateReplacesTheLastAnswerAndOnlyTheLast() {
    ApiClient alice = server.client();
    String conv = alice.newConversation();
    String first = alice.ask(conv, "one", 10);
    alice.awaitFinal(first);
    String second = alice.ask(conv, "two", 10);
    alice.awaitFinal(second);
    assertEquals(409, alice.post("/api/generations/" + first + "/regenerate", "{}").status(),
        "an answer that is not the last cannot be regenerated");
    JsonObject started = alice.post("/api/generations/" + second + "/regenerate", new JsonObject().put("maxTokens", 7)).json();
    String again = started.getString("generationId");
    assertEquals(7, alice.awaitFinal(again).getInteger("chunks"));
    JsonArray ms = messages(alice, conv);
    assertEquals(4, ms.size(), "replaced, not added");
    assertEquals(again, ms.getJsonObject(3).getString("generationId"));
    assertEquals(alice.generation(again).getString("text"), ms.getJsonObject(3).getString("content"));
    assertEquals(404, server.client().post("/api/generations/" + again + "/regenerate", "{}").status());
    assertEquals(404, alice.get("/api/generations/" + second).status(), "the replaced answer is gone");
  }

  @Test
  void continueGrowsTheCutAnswerFromWhereItStopped() throws Exception {
    ApiClient alice = server.client();
    String conv = alice.newConversation();
    String gid = alice.ask(conv, "long", 20_000);
    Thread.sleep(50);
    assertEquals("stopped", alice.post("/api/generations/" + gid + "/stop", "").json().getString("state"));
    String partial = alice.awaitFinal(gid).getString("text");
    assertFalse(partial.isEmpty());
    String next = alice.post("/api/generations/" + gid + "/continue", new JsonObject().put("maxTokens", 5))
        .json().getString("generationId");
    JsonObject continued = alice.awaitFinal(next);
    assertEquals("done", continued.getString("state"));
    assertTrue(continued.getString("text").startsWith(partial), "the partial answer is kept, the rest follows it");
    assertTrue(continued.getString("text").length() > partial.length());
    JsonArray ms = messages(alice, conv);
    assertEquals(2, ms.size(), "the same message grows");
    assertEquals(continued.getString("text"), ms.getJsonObject(1).getString("content"));
    assertEquals(409, alice.post("/api/generations/" + next + "/continue", "{}").status(),
        "a finished answer has nothing to continue");
  }

  @Test
  void deletingAConversationStopsItsRunningAnswerAndDeletesItsLogs() {
    ApiClient gina = server.client();
    String conv = gina.newConversation();
    String gid = gina.ask(conv, "long", 20_000);
    assertEquals(204, gina.delete("/api/conversations/" + conv).status());
    assertEquals(404, gina.get("/api/generations/" + gid).status());
    assertEquals(404, gina.delete("/api/conversations/" + conv).status());
  }

  @Test
  void messagesSentAtTheSameMomentStartOneAnswerAndRefuseTheRest() throws Exception {
    ApiClient hal = server.client();
    String conv = hal.newConversation();
    var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      var replies = new java.util.ArrayList<java.util.concurrent.Future<Integer>>();
      for (int i = 0; i < 8; i++) {
        String text = "at once " + i;
        replies.add(pool.submit(() -> hal.post("/api/conversations/" + conv + "/messages",
            new JsonObject().put("content", text).put("maxTokens", 20_000)).status()));
      }
      int started = 0;
      for (var r : replies) {
        int status = r.get();
        // 409: an answer is already being written; 429: the session's limit of answers at once
        assertTrue(status == 202 || status == 409 || status == 429, "refused cleanly, never a server error: " + status);
        if (status == 202) started++;
      }
      assertEquals(1, started);
      assertEquals(2, messages(hal, conv).size());
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void editingAMessageRewritesTheConversationFromThere() {
    ApiClient alice = server.client();
    String conv = alice.newConversation();
    alice.awaitFinal(alice.ask(conv, "one", 5));
    alice.awaitFinal(alice.ask(conv, "two", 5));
    JsonArray before = messages(alice, conv);
    String firstId = before.getJsonObject(0).getString("id");
    assertEquals(404, alice.put("/api/conversations/" + conv + "/messages/" + before.getJsonObject(1).getString("id"),
        new JsonObject().put("content", "x")).status(), "only a person's message can be edited");
    String gid = alice.put("/api/conversations/" + conv + "/messages/" + firstId,
        new JsonObject().put("content", "one, better")).json().getString("generationId");
    alice.awaitFinal(gid);
    JsonArray after = messages(alice, conv);
    assertEquals(2, after.size());
    assertEquals("one, better", after.getJsonObject(0).getString("content"));
    assertEquals(gid, after.getJsonObject(1).getString("generationId"));
    assertEquals(404, server.client().put("/api/conversations/" + conv + "/messages/" + firstId,
        new JsonObject().put("content", "mine")).status());
  }

  @Test
  void limitsAreClearConflicts() {
    ApiClient bob = server.client();
    String conv = bob.newConversation();
    bob.newConversation();
    bob.newConversation();
    ApiClient.Reply refused = bob.post("/api/conversations", "{}");
    assertEquals(409, refused.status());
    assertTrue(refused.json().getString("error").contains("limit of 3 conversations"));
    bob.awaitFinal(bob.ask(conv, "a", 3));
    bob.awaitFinal(bob.ask(conv, "b", 3));
    bob.awaitFinal(bob.ask(conv, "c", 3));
    ApiClient.Reply full = bob.post("/api/conversations/" + conv + "/messages", new JsonObject().put("content", "d"));
    assertEquals(409, full.status());
    assertTrue(full.json().getString("error").contains("limit of 6 messages"));
  }

  @Test
  void storedBytesHaveALimit() throws Exception {
    try (TestServer small = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "1000", "STREAMCHAT_MAX_STORED_KB", "1"))) {
      ApiClient carol = small.client();
      String conv = carol.newConversation();
      carol.awaitFinal(carol.ask(conv, "x".repeat(600), 3));
      ApiClient.Reply refused = carol.post("/api/conversations/" + conv + "/messages",
          new JsonObject().put("content", "y".repeat(600)));
      assertEquals(409, refused.status());
      assertTrue(refused.json().getString("error").contains("storage limit of 1 KB"));
      ApiClient other = small.client();
      assertEquals(202, other.post("/api/conversations/" + other.newConversation() + "/messages",
          new JsonObject().put("content", "y".repeat(600))).status(), "the limit is per session");
    }
  }

  @Test
  void pagesOfMessagesGoBackFromTheNewest() {
    ApiClient dave = server.client();
    String conv = dave.newConversation();
    dave.awaitFinal(dave.ask(conv, "a", 2));
    dave.awaitFinal(dave.ask(conv, "b", 2));
    JsonArray newest = dave.get("/api/conversations/" + conv + "?limit=2").json().getJsonArray("messages");
    assertEquals(3, newest.getJsonObject(0).getInteger("seq"));
    JsonArray older = dave.get("/api/conversations/" + conv + "?limit=2&before=3").json().getJsonArray("messages");
    assertEquals("a", older.getJsonObject(0).getString("content"));
    assertEquals(400, dave.get("/api/conversations/" + conv + "?limit=zero").status());
  }

  @Test
  void aLongConversationOpensOnItsLatestMessagesAndLoadsOlderOnes() throws Exception {
    try (TestServer roomy = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "1000"))) {
      ApiClient frank = roomy.client();
      String conv = frank.newConversation();
      for (int i = 1; i <= 12; i++) frank.awaitFinal(frank.ask(conv, "question " + i, 2));
      String page = frank.get("/c/" + conv).body();
      assertFalse(page.contains("question 2<"), "older messages are not in the first page");
      assertTrue(page.contains("question 12<"));
      int pageSize = PageRoutes.HISTORY_PAGE;
      int firstShown = 24 - pageSize + 1;
      assertTrue(page.contains("/c/" + conv + "/older?before=" + firstShown), "a sentinel fetches the older ones");
      assertTrue(page.contains("intersect once"));
      String older = frank.get("/c/" + conv + "/older?before=" + firstShown).body();
      assertTrue(older.contains("question 1<") && older.contains("question 2<"));
      assertFalse(older.contains("/older?before="), "the first message has nothing before it");
      assertFalse(older.contains("/regenerate"), "older answers are not the last one");
      assertEquals(400, frank.get("/c/" + conv + "/older?before=x").status());
    }
  }

  @Test
  void thePageOffersRegenerateOnTheLastAnswerAndDeletesWithHtmx() {
    ApiClient erin = server.client();
    String conv = erin.newConversation();
    String first = erin.ask(conv, "one", 3);
    erin.awaitFinal(first);
    String second = erin.ask(conv, "two", 3);
    erin.awaitFinal(second);
    String page = erin.get("/c/" + conv).body();
    assertTrue(page.contains("/g/" + second + "/regenerate"));
    assertFalse(page.contains("/g/" + first + "/regenerate"), "only the last answer offers Regenerate");
    assertFalse(page.contains("/g/" + second + "/continue"), "a finished answer offers no Continue");

    HttpRequest.Builder rename = HttpRequest.newBuilder(URI.create(server.url("/c/" + conv + "/title")))
        .header("HX-Request", "true").header("HX-Current-URL", server.url("/c/" + conv))
        .header("X-CSRF-Token", erin.csrfToken())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("title=%3Cb%3ENew%3C%2Fb%3E"));
    String fragment = erin.send(rename).body();
    assertTrue(fragment.contains("&lt;b&gt;New&lt;/b&gt;"), "titles are escaped");
    assertTrue(fragment.contains("hx-swap-oob"), "the open page's heading follows");

    HttpRequest.Builder delete = HttpRequest.newBuilder(URI.create(server.url("/c/" + conv)))
        .header("HX-Request", "true").header("X-CSRF-Token", erin.csrfToken()).DELETE();
    ApiClient.Reply deleted = erin.send(delete);
    assertEquals(200, deleted.status());
    assertEquals("", deleted.body());
    assertEquals(404, erin.get("/api/conversations/" + conv).status());
    assertEquals(404, erin.get("/api/generations/" + second).status(), "its answers go with it");
    assertNotEquals(200, erin.send(HttpRequest.newBuilder(URI.create(server.url("/c/" + conv)))
        .header("HX-Request", "true").header("X-CSRF-Token", erin.csrfToken()).DELETE()).status());
  }
}
