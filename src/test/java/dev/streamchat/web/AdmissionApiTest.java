package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.stream.Pressure;
import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Admission by pressure over real HTTP: while the live path holds more pending text than its bound
 * (held here by the test through the gauge's sample source, so the decision is forced), a new
 * answer gets 429 + Retry-After on the API and a notice on the page, a running answer keeps
 * streaming and can still be watched; once the pressure is gone, answers are admitted again.
 */
class AdmissionApiTest {

  private static final int BOUND_KB = 64;
  private static final String TOKEN = "admission-test-admin-token";

  private static HttpResponse<String> ask(TestServer server, ApiClient c, String cid) {
    return c.sendRaw(HttpRequest.newBuilder(URI.create(server.url("/api/conversations/" + cid + "/messages")))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("content", "hi").put("maxTokens", 5).encode())));
  }

  private static String asAdmin(ApiClient c, TestServer server, String path) {
    HttpResponse<String> r = c.sendRaw(HttpRequest.newBuilder(URI.create(server.url(path)))
        .header("Authorization", "Bearer " + TOKEN).GET());
    assertEquals(200, r.statusCode(), path + ": " + r.body());
    return r.body();
  }

  @Test
  void refusesNewAnswersUnderPressureKeepsRunningOnesAndReopens() throws Exception {
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "20",
        "STREAMCHAT_ADMIT_MAX_PENDING_KB", Integer.toString(BOUND_KB), "STREAMCHAT_MESSAGES_PER_MINUTE", "1000",
        "STREAMCHAT_ADMIN_TOKEN", TOKEN))) {
      AtomicLong held = new AtomicLong();
      Pressure.of(server.vertx()).addPendingSource(held::get);

      ApiClient alice = server.client();
      JsonObject started = alice.post("/api/conversations/" + alice.newConversation() + "/messages",
          new JsonObject().put("content", "a long one").put("maxTokens", 2000)).json();
      String running = started.getString("generationId");
      try (SseConnection watching = alice.events(running, null, null)) {
        assertEquals(200, watching.status());
        long seenBefore = watching.next().id();

        held.set(2 * BOUND_KB * 1024L); // twice the bound: refused once it lasts, Retry-After 2 s × 2
        ApiClient bob = server.client();
        long pressedBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!asAdmin(bob, server, "/metrics").contains("streamchat_admission_refusing 1.0")) {
          assertTrue(System.nanoTime() < pressedBy, "admission turns to refusing while the pressure lasts");
          Thread.sleep(100);
        }
        String cid = bob.newConversation();
        HttpResponse<String> refused = ask(server, bob, cid);
        assertEquals(429, refused.statusCode(), refused.body());
        assertEquals("4", refused.headers().firstValue("Retry-After").orElse(null));
        assertTrue(new JsonObject(refused.body()).getString("error").contains("too busy"), refused.body());

        // The page's send form: the same refusal, shown in the page's notice area.
        HttpResponse<String> page = bob.sendRaw(HttpRequest.newBuilder(URI.create(server.url("/c/" + cid + "/messages")))
            .header("Content-Type", "application/x-www-form-urlencoded").header("HX-Request", "true")
            .header("X-CSRF-Token", bob.csrfToken()).POST(HttpRequest.BodyPublishers.ofString("content=hi")));
        assertEquals(429, page.statusCode(), page.body());
        assertEquals("#notice", page.headers().firstValue("HX-Retarget").orElse(null));
        assertTrue(page.body().contains("too busy"), page.body());
        assertTrue(page.headers().firstValue("Retry-After").isPresent());

        // The operator sees it: /metrics and the admin page's totals.
        String metrics = asAdmin(bob, server, "/metrics");
        assertTrue(metrics.contains("streamchat_admission_refusing 1.0"), metrics);
        assertTrue(metrics.contains("streamchat_live_pending_bytes " + (2.0 * BOUND_KB * 1024)), metrics);
        assertTrue(metrics.contains("streamchat_admission_refused_total 2.0"), metrics);
        assertTrue(metrics.contains("streamchat_live_loop_delay_seconds"), metrics);
        String admin = asAdmin(bob, server, "/admin");
        assertTrue(admin.matches("(?s).*data-total=\"admission\"[^>]*><span class=\"value\">refusing<.*"), admin);

        // The running answer is not cut: it streams on, and a new viewer of it is admitted.
        SseEvent later = watching.next();
        assertNotNull(later);
        assertTrue(later.id() > seenBefore, "still streaming: " + later);
        try (SseConnection second = alice.events(running, null, null)) {
          assertEquals(200, second.status());
          assertNotNull(second.next());
        }

        held.set(0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        HttpResponse<String> again = ask(server, bob, cid);
        while (again.statusCode() == 429 && System.nanoTime() < deadline) {
          Thread.sleep(200);
          again = ask(server, bob, cid);
        }
        assertEquals(202, again.statusCode(), "admitted again once the pressure is gone: " + again.body());
        bob.awaitFinal(new JsonObject(again.body()).getString("generationId"));

        SseEvent throughout = watching.next();
        assertTrue(throughout.id() > later.id() && !throughout.isEnd(), "streamed all along: " + throughout);
        assertEquals(200, alice.post("/api/generations/" + running + "/stop", "").status());
      }
      assertEquals("stopped", alice.awaitFinal(running).getString("state"), "ended by its Stop, not by admission");
      assertEquals(0, Pressure.of(server.vertx()).pendingBytes(), "every writer's text counted out once durable");
    }
  }
}
