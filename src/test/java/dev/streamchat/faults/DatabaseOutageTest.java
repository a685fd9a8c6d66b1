package dev.streamchat.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestDatabase;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * PostgreSQL behind a proxy that fails it (silent drop, reset, refused): every database-backed
 * request answers 503 + Retry-After within 2 s, readiness says DOWN, a running answer streams on
 * intact, and within 5 s of the database's return the service is whole again, with the answer
 * that ended during the outage saved (not left running).
 */
class DatabaseOutageTest {

  private static final long ANSWER_BOUND_MS = 2_000;
  private static final long RECOVERY_BOUND_MS = 5_000;
  private static final long OUTAGE_MS = 3_000;

  @ParameterizedTest
  @EnumSource(value = FaultProxy.Mode.class, names = {"DROP", "RESET", "REFUSE"})
  void anOutageIsAnsweredFastAndHealsItself(FaultProxy.Mode fault) throws Exception {
    try (TestDatabase db = TestDatabase.of("postgresql");
         FaultProxy proxy = new FaultProxy("127.0.0.1", 5432)) {
      String url = db.url().orElseThrow().replace(":5432/", ":" + proxy.port() + "/");
      String schema = url.substring(url.indexOf("currentSchema=") + "currentSchema=".length());
      try (TestServer server = TestServer.start(Map.of("STREAMCHAT_DATABASE_URL", url,
          "STREAMCHAT_DEMO_TPS", "50"))) {
        ApiClient honest = server.client();
        String conv = honest.newConversation();
        String other = honest.newConversation();
        // 6 s at 50 a second: it outlasts the outage (3 s, up to 1.5 s more for a dropped call) and the return.
        String longAnswer = honest.ask(conv, "Keep talking through the outage", 300);
        CompletableFuture<List<SseEvent>> watched = CompletableFuture.supplyAsync(() -> readToEnd(honest, longAnswer));
        String endsDuringOutage = honest.ask(other, "A short one", 10);

        proxy.mode(fault);
        long outageStarted = System.currentTimeMillis();
        long slowest = 0;
        int asked = 0;
        while (System.currentTimeMillis() - outageStarted < OUTAGE_MS) {
          for (Supplier<HttpResponse<String>> call : databaseCalls(honest, server.url(""), conv)) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = call.get();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            slowest = Math.max(slowest, ms);
            asked++;
            assertEquals(503, r.statusCode(), r.request().uri() + " during " + fault + ": " + r.body());
            assertTrue(r.headers().firstValue("Retry-After").isPresent(), "Retry-After on " + r.request().uri());
            assertTrue(ms <= ANSWER_BOUND_MS, r.request().uri() + " took " + ms + " ms during " + fault);
            if (r.request().uri().getPath().startsWith("/api/")) {
              assertNotNull(new JsonObject(r.body()).getString("error"));
            } else {
              assertTrue(r.body().contains("The database is not answering"), "a page says why: " + r.body());
            }
          }
          HttpResponse<String> ready = get(honest, server.url("/health/ready"));
          assertEquals(503, ready.statusCode());
          assertEquals("DOWN", new JsonObject(ready.body()).getJsonObject("checks").getJsonObject("database")
              .getString("status"));
          assertEquals(200, get(honest, server.url("/health/live")).statusCode());
        }

        proxy.mode(FaultProxy.Mode.FORWARD);
        long back = System.currentTimeMillis();
        long healed = -1;
        while (System.currentTimeMillis() - back < RECOVERY_BOUND_MS + 2_000) {
          if (honest.get("/api/conversations").status() == 200
              && get(honest, server.url("/health/ready")).statusCode() == 200) {
            healed = System.currentTimeMillis() - back;
            break;
          }
          Thread.sleep(50);
        }
        System.out.printf("database outage (%s): %d database calls answered 503, slowest %d ms; whole again %d ms "
            + "after the database returned%n", fault, asked, slowest, healed);
        assertTrue(healed >= 0 && healed <= RECOVERY_BOUND_MS, "whole again within 5 s, took " + healed + " ms");
        assertEquals(202, honest.post("/api/conversations/" + other + "/messages",
            new JsonObject().put("content", "and after?").put("maxTokens", 3)).status(), "new answers start again");

        JsonObject ended = honest.awaitFinal(endsDuringOutage);
        assertEquals("done", ended.getString("state"));
        String[] saved = awaitSaved(schema, endsDuringOutage);
        assertEquals("done", saved[0], "the answer that ended during the outage is saved, not left running");
        assertEquals(ended.getString("text"), saved[1]);

        List<SseEvent> events = watched.get();
        SseEvent last = events.get(events.size() - 1);
        assertTrue(last.isEnd(), "the running answer reached its end");
        assertEquals("done", last.json().getString("state"));
        StringBuilder text = new StringBuilder();
        long expected = 1;
        for (SseEvent e : events) {
          if (e.isEnd()) continue;
          assertTrue(e.id() >= expected, "no chunk sent twice");
          expected = e.id() + 1;
          text.append(e.json().getString("text"));
        }
        assertEquals(honest.generation(longAnswer).getString("text"), text.toString(), "streamed intact");
      }
    }
  }

  /** Calls that need the database: the API (JSON) and a page (HTML), reads and writes. */
  private static List<Supplier<HttpResponse<String>>> databaseCalls(ApiClient c, String base, String conv) {
    List<Supplier<HttpResponse<String>>> calls = new ArrayList<>();
    calls.add(() -> c.sendRaw(HttpRequest.newBuilder(URI.create(base + "/api/conversations")).GET()));
    calls.add(() -> c.sendRaw(HttpRequest.newBuilder(URI.create(base + "/api/conversations/" + conv)).GET()));
    calls.add(() -> c.sendRaw(HttpRequest.newBuilder(URI.create(base + "/api/conversations"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}"))));
    calls.add(() -> c.sendRaw(HttpRequest.newBuilder(URI.create(base + "/c/" + conv)).GET()));
    return calls;
  }

  private static HttpResponse<String> get(ApiClient c, String url) {
    return c.sendRaw(HttpRequest.newBuilder(URI.create(url)).GET());
  }

  private static List<SseEvent> readToEnd(ApiClient c, String gid) {
    List<SseEvent> out = new ArrayList<>();
    try (SseConnection events = c.events(gid, null, null)) {
      for (SseEvent e; (e = events.next()) != null; ) {
        out.add(e);
        if (e.isEnd()) break;
      }
    }
    return out;
  }

  /** The answer's row, read straight from PostgreSQL, once it is no longer running (or after 5 s). */
  private static String[] awaitSaved(String schema, String gid) throws Exception {
    long until = System.currentTimeMillis() + RECOVERY_BOUND_MS;
    try (Connection c = DriverManager.getConnection(TestDatabase.PG_JDBC + "?currentSchema=" + schema, "postgres", "");
         PreparedStatement ps = c.prepareStatement("SELECT state, content FROM messages WHERE generation_id = ?")) {
      ps.setString(1, gid);
      while (true) {
        try (ResultSet rs = ps.executeQuery()) {
          assertTrue(rs.next(), "the answer's message exists");
          String[] row = {rs.getString(1), rs.getString(2)};
          if (!"running".equals(row[0]) || System.currentTimeMillis() > until) return row;
        }
        Thread.sleep(100);
      }
    }
  }
}
