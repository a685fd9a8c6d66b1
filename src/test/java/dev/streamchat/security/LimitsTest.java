package dev.streamchat.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.ApiClient.Reply;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each limit of README's table, reached over real HTTP and answered as documented. */
class LimitsTest {

  /** POSTs a message and returns the raw response, to see Retry-After. */
  private static HttpResponse<String> ask(TestServer server, ApiClient c, String cid, int maxTokens) {
    return c.sendRaw(HttpRequest.newBuilder(URI.create(server.url("/api/conversations/" + cid + "/messages")))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("content", "hi").put("maxTokens", maxTokens).encode())));
  }

  private static void assertTooMany(HttpResponse<String> r, String why) {
    assertEquals(429, r.statusCode(), why + ": " + r.body());
    int retry = Integer.parseInt(r.headers().firstValue("Retry-After").orElseThrow(() -> new AssertionError("Retry-After")));
    assertTrue(retry >= 1, "Retry-After " + retry);
    assertTrue(new JsonObject(r.body()).getString("error").length() > 10, r.body());
  }

  @Test
  void generationsAreBoundedPerSessionAndInAll() throws Exception {
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "5", "STREAMCHAT_MAX_GENERATIONS", "4"))) {
      ApiClient alice = server.client();
      List<String> gids = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> r = ask(server, alice, alice.newConversation(), 500);
        assertEquals(202, r.statusCode(), r.body());
        gids.add(new JsonObject(r.body()).getString("generationId"));
      }
      String fourth = alice.newConversation();
      assertTooMany(ask(server, alice, fourth, 500), "the 4th concurrent answer of one session (default 3)");

      ApiClient bob = server.client();
      assertEquals(202, ask(server, bob, bob.newConversation(), 500).statusCode(), "others are not starved");
      HttpResponse<String> full = ask(server, bob, bob.newConversation(), 500);
      assertTooMany(full, "the 5th in all with STREAMCHAT_MAX_GENERATIONS=4");
      assertTrue(full.body().contains("server"), full.body());

      assertEquals(200, alice.post("/api/generations/" + gids.get(0) + "/stop", "").status());
      assertEquals(202, ask(server, alice, fourth, 5).statusCode(), "a slot frees when an answer stops");
    }
  }

  @Test
  void messagesPerMinuteAreBoundedPerSession() throws Exception {
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "1000", "STREAMCHAT_MESSAGES_PER_MINUTE", "4"))) {
      ApiClient alice = server.client();
      String cid = alice.newConversation();
      for (int i = 0; i < 4; i++) {
        HttpResponse<String> r = ask(server, alice, cid, 3);
        assertEquals(202, r.statusCode(), r.body());
        alice.readAll(new JsonObject(r.body()).getString("generationId"), null, null);
      }
      HttpResponse<String> fifth = ask(server, alice, cid, 3);
      assertTooMany(fifth, "the 5th message within a minute");
      int retry = Integer.parseInt(fifth.headers().firstValue("Retry-After").orElseThrow());
      assertTrue(retry <= 60, "within the minute: " + retry);
      ApiClient bob = server.client();
      assertEquals(202, ask(server, bob, bob.newConversation(), 3).statusCode(), "per session");
    }
  }

  @Test
  void viewersAreBoundedPerGenerationAndPerSession() throws Exception {
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "5",
        "STREAMCHAT_MAX_VIEWERS_PER_GENERATION", "2", "STREAMCHAT_MAX_VIEWERS_PER_SESSION", "3"))) {
      ApiClient alice = server.client();
      String g1 = alice.ask(alice.newConversation(), "hi", 500);
      String g2 = alice.ask(alice.newConversation(), "hi", 500);
      List<SseConnection> open = new ArrayList<>();
      try {
        open.add(alice.events(g1, null, null));
        open.add(alice.events(g1, null, null));
        open.forEach(c -> assertEquals(200, c.status()));
        ApiClient bob = server.client();
        // Bob cannot see g1 at all (404); a third viewer of Alice's g1 is refused.
        assertEquals(404, bob.get("/api/generations/" + g1 + "/events").status());
        HttpResponse<String> third = alice.sendRaw(HttpRequest.newBuilder(URI.create(server.url("/api/generations/" + g1 + "/events"))));
        assertTooMany(third, "a 3rd viewer of one generation");

        open.add(alice.events(g2, null, null));
        assertEquals(200, open.get(2).status());
        HttpResponse<String> fourth = alice.sendRaw(HttpRequest.newBuilder(URI.create(server.url("/api/generations/" + g2 + "/events"))));
        assertTooMany(fourth, "a 4th stream of one session");

        open.remove(0).close();
        awaitStatus(server, alice, "/api/generations/" + g2 + "/events", 200);
      } finally {
        open.forEach(SseConnection::close);
      }
    }
  }

  /** Retries until the stream opens (a closed connection is noticed by the server shortly after). */
  private static void awaitStatus(TestServer server, ApiClient c, String path, int status) throws Exception {
    for (int i = 0; i < 100; i++) {
      try (SseConnection s = c.open(path, null)) {
        if (s.status() == status) return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError(path + " never answered " + status);
  }

  @Test
  void aStreamEndsCleanlyAtItsLifetimeAndResumesWithoutGapOrDuplicate() throws Exception {
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "25", "STREAMCHAT_SSE_MAX_SECONDS", "1"))) {
      ApiClient c = server.client();
      String gid = c.ask(c.newConversation(), "hi", 75);
      StringBuilder text = new StringBuilder();
      Long last = null;
      int connections = 0;
      boolean ended = false;
      while (!ended) {
        assertTrue(++connections < 20, "too many reconnects");
        long opened = System.currentTimeMillis();
        try (SseConnection s = c.events(gid, last, null)) {
          assertEquals(200, s.status());
          for (SseEvent e; (e = s.next()) != null; ) {
            if (e.isEnd()) {
              ended = true;
              break;
            }
            assertTrue(last == null || e.id() > last, "no duplicate: " + e.id() + " after " + last);
            text.append(e.json().getString("text"));
            last = e.id();
          }
        }
        if (!ended) {
          long lived = System.currentTimeMillis() - opened;
          assertTrue(lived >= 900 && lived < 5000, "closed by the server at its lifetime: " + lived + " ms");
        }
      }
      assertTrue(connections >= 3, "a 3 s answer over 1 s connections: " + connections);
      assertEquals(c.generation(gid).getString("text"), text.toString());
    }
  }

  @Test
  void sizeLimitsFollowTheirVariables() throws Exception {
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_MAX_MESSAGE_CHARS", "10",
        "STREAMCHAT_MAX_BODY_BYTES", "2048", "STREAMCHAT_MAX_HEADER_BYTES", "2048"))) {
      ApiClient c = server.client();
      String cid = c.newConversation();
      Reply longMessage = c.post("/api/conversations/" + cid + "/messages", new JsonObject().put("content", "x".repeat(11)));
      assertEquals(413, longMessage.status());
      assertTrue(longMessage.json().getString("error").contains("10 characters"));
      Reply bigBody = c.post("/api/conversations/" + cid + "/messages", "{\"content\":\"" + "x".repeat(3000) + "\"}");
      assertEquals(413, bigBody.status());
      assertTrue(bigBody.json().getString("error").contains("2048 bytes"));
      Reply bigHeader = c.send(HttpRequest.newBuilder(URI.create(server.url("/api/models"))).header("X-Big", "a".repeat(3000)));
      assertEquals(431, bigHeader.status());
    }
  }
}
