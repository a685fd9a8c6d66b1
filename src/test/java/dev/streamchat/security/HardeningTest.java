package dev.streamchat.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.ApiClient.Reply;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Pages' CSRF token, security headers, cookies, 404 across sessions and cursors, over real HTTP. */
class HardeningTest {

  private static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "400", "STREAMCHAT_SESSION_DAYS", "7"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static Reply form(TestServer server, ApiClient client, String path, String body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url(path)))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return client.send(b);
  }

  @Test
  void pagesCarrySecurityHeadersAndAStrictSessionCookie() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.url("/"))).build(),
        HttpResponse.BodyHandlers.ofString());
    String csp = r.headers().firstValue("Content-Security-Policy").orElseThrow();
    assertTrue(csp.contains("script-src 'self'"), csp);
    // Inline style attributes only (KaTeX places glyphs with them): never inline script or style elements.
    assertEquals(java.util.List.of("style-src-attr 'unsafe-inline'"), java.util.Arrays.stream(csp.split(";"))
        .map(String::strip).filter(d -> d.contains("unsafe-inline")).toList(), csp);
    assertTrue(csp.contains("style-src 'self';"), csp);
    assertFalse(csp.contains("unsafe-eval"), csp);
    assertTrue(csp.contains("frame-ancestors 'none'"), csp);
    assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElseThrow());
    assertEquals("same-origin", r.headers().firstValue("Referrer-Policy").orElseThrow());
    String cookie = r.headers().firstValue("Set-Cookie").orElseThrow();
    assertTrue(cookie.toLowerCase(java.util.Locale.ROOT).contains("httponly"), cookie);
    assertTrue(cookie.contains("SameSite=Lax"), cookie);
    assertTrue(cookie.contains("Max-Age=" + 7 * 24 * 3600), "session expiry is configurable: " + cookie);
    assertFalse(cookie.contains("Secure"), "plain http: no Secure flag, " + cookie);

    HttpResponse<String> proxied = http.send(HttpRequest.newBuilder(URI.create(server.url("/")))
        .header("X-Forwarded-Proto", "https").build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(proxied.headers().firstValue("Set-Cookie").orElseThrow().contains("Secure"));
  }

  @Test
  void pagePostsNeedTheSessionsCsrfTokenAndACrossSiteFormIsRefused() {
    ApiClient alice = server.client();
    String token = alice.csrfToken();

    // A cross-site form (what evil.example's auto-submitting <form> sends): the cookie rides
    // along under SameSite=Lax only for top-level GETs, but even if it did, it has no token.
    Reply crossSite = form(server, alice, "/chat", "content=hi", "Origin", "https://evil.example");
    assertEquals(403, crossSite.status(), crossSite.body());
    // The same form without Origin (old browsers, privacy proxies): the token is what refuses it.
    Reply noToken = form(server, alice, "/chat", "content=hi");
    assertEquals(403, noToken.status(), noToken.body());
    assertTrue(noToken.body().contains("reload the page"), noToken.body());
    Reply wrongToken = form(server, alice, "/chat", "content=hi", "X-CSRF-Token", token + "x");
    assertEquals(403, wrongToken.status());
    Reply othersToken = form(server, alice, "/chat", "content=hi", "X-CSRF-Token", server.client().csrfToken());
    assertEquals(403, othersToken.status(), "a token is bound to its session");
    assertEquals(0, alice.get("/api/conversations").array().size(), "nothing was made");

    Reply withToken = form(server, alice, "/chat", "content=hi", "X-CSRF-Token", token);
    assertEquals(303, withToken.status(), withToken.body());
    Reply withField = form(server, alice, "/chat", "content=hi&csrf=" + token);
    assertEquals(303, withField.status(), "a plain form may carry the token as a field");
    assertEquals(2, alice.get("/api/conversations").array().size());

    assertEquals(token, alice.csrfToken(), "one token per session, stable across page loads");
  }

  @Test
  void theJsonApiNeedsNoTokenButRefusesOtherOrigins() {
    ApiClient program = server.client();
    assertEquals(201, program.post("/api/conversations", "{}").status());
    Reply cross = program.send(HttpRequest.newBuilder(URI.create(server.url("/api/conversations")))
        .header("Content-Type", "application/json").header("Origin", "https://evil.example")
        .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertEquals(403, cross.status());
    assertEquals("Cross-origin request refused.", cross.json().getString("error"));
    Reply same = program.send(HttpRequest.newBuilder(URI.create(server.url("/api/conversations")))
        .header("Content-Type", "application/json").header("Origin", "http://127.0.0.1:" + server.port())
        .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertEquals(201, same.status());
  }

  @Test
  void anotherSessionsIdsAreNotFoundOnEveryRoute() {
    ApiClient alice = server.client();
    String cid = alice.newConversation();
    String gid = alice.ask(cid, "secret", 5);
    alice.readAll(gid, null, null);
    ApiClient mallory = server.client();
    String token = mallory.csrfToken();
    String[][] calls = {
        {"GET", "/api/conversations/" + cid}, {"DELETE", "/api/conversations/" + cid},
        {"POST", "/api/conversations/" + cid + "/messages"}, {"GET", "/api/generations/" + gid},
        {"GET", "/api/generations/" + gid + "/events"}, {"POST", "/api/generations/" + gid + "/stop"},
        {"GET", "/c/" + cid}, {"GET", "/g/" + gid + "/stream"}, {"POST", "/g/" + gid + "/stop"},
        {"POST", "/c/" + cid + "/messages"}};
    for (String[] call : calls) {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url(call[1])))
          .header("X-CSRF-Token", token).header("Content-Type", "application/json")
          .method(call[0], call[0].equals("POST")
              ? HttpRequest.BodyPublishers.ofString(call[1].startsWith("/api/") ? "{\"content\":\"x\"}" : "content=x")
              : HttpRequest.BodyPublishers.noBody());
      if (!call[1].startsWith("/api/")) b.setHeader("Content-Type", "application/x-www-form-urlencoded");
      Reply r = mallory.send(b);
      assertEquals(404, r.status(), call[0] + " " + call[1] + ": " + r.body());
      assertFalse(r.body().contains("secret"));
    }
    assertEquals(200, alice.get("/api/conversations/" + cid).status(), "the owner still has it");
  }

  @Test
  void badCursorsAre400AndACursorBeyondTheEndResumesFromTheEnd() throws Exception {
    ApiClient c = server.client();
    String gid = c.ask(c.newConversation(), "hi", 10);
    List<SseEvent> all = c.readAll(gid, null, null);
    for (String after : new String[] {"-1", "abc", "1e3", "99999999999999999999", "0x10", " "}) {
      String q = after.isBlank() ? "%20" : after;
      Reply r = c.get("/api/generations/" + gid + "/events?after=" + q);
      if (after.isBlank()) {
        assertEquals(200, r.status(), "a blank cursor means from the start");
      } else {
        assertEquals(400, r.status(), "after=" + after);
        assertTrue(r.json().getString("error").contains("chunk number"));
      }
    }
    Reply header = c.send(HttpRequest.newBuilder(URI.create(server.url("/api/generations/" + gid + "/events")))
        .header("Last-Event-ID", "-5"));
    assertEquals(400, header.status());

    // Beyond the end of a finished generation: nothing to replay, then its end.
    List<SseEvent> beyond = c.readAll(gid, null, 1_000_000L);
    assertEquals(1, beyond.size());
    assertTrue(beyond.get(0).isEnd());
    assertEquals(all.get(all.size() - 1).data(), beyond.get(0).data());

    // Beyond the end of a running one: the stream goes on from its current end, and ends.
    TestServer slow = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "20"));
    try {
      ApiClient s = slow.client();
      String running = s.ask(s.newConversation(), "hi", 30);
      List<SseEvent> events = s.readAll(running, Long.MAX_VALUE, null);
      assertTrue(events.get(events.size() - 1).isEnd());
      JsonObject g = s.generation(running);
      StringBuilder text = new StringBuilder();
      for (SseEvent e : events) if (!e.isEnd()) text.append(e.json().getString("text"));
      assertTrue(g.getString("text").endsWith(text.toString()), "a suffix of the text, no garbage");
      assertTrue(events.size() >= 2, "live chunks after the clamped cursor were sent: " + events.size());
    } finally {
      slow.close();
    }
  }

  @Test
  void oversizedBodiesHeadersAndUrlsAreRefusedClearly() throws Exception {
    ApiClient c = server.client();
    String cid = c.newConversation();
    Reply body = c.post("/api/conversations/" + cid + "/messages",
        new JsonObject().put("content", "x".repeat(70 * 1024)));
    assertEquals(413, body.status());
    assertTrue(body.json().getString("error").contains("65536 bytes"), body.body());
    Reply message = c.post("/api/conversations/" + cid + "/messages",
        new JsonObject().put("content", "x".repeat(32 * 1024 + 1)));
    assertEquals(413, message.status());
    assertTrue(message.json().getString("error").contains("32768 characters"), message.body());

    assertEquals(431, raw("GET /api/models HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(9000) + "\r\n\r\n"));
    assertEquals(414, raw("GET /api/models?" + "a".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    assertEquals(200, c.get("/api/models").status(), "the server is fine afterwards");
  }

  /** Sends a raw request and returns the status of the answer. */
  private static int raw(String request) throws Exception {
    try (var socket = new java.net.Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] head = new byte[12];
      int n = 0;
      while (n < 12) {
        int r = in.read(head, n, 12 - n);
        if (r < 0) break;
        n += r;
      }
      String status = new String(head, 0, n, StandardCharsets.ISO_8859_1);
      assertTrue(status.startsWith("HTTP/1."), "an HTTP answer, not a dropped connection: '" + status + "'");
      return Integer.parseInt(status.substring(9, 12));
    }
  }
}
