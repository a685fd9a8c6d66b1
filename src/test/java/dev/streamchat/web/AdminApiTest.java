package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The admin API, the admin page's access rules, /metrics and /health, over real HTTP. */
class AdminApiTest {

  private static final String TOKEN = "admin-secret-for-tests";
  private static TestServer server;
  private static ApiClient user;
  private static ApiClient admin;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("STREAMCHAT_ADMIN_TOKEN", TOKEN, "STREAMCHAT_DEMO_TPS", "25"));
    user = server.client();
    admin = server.client();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(server.url(path)));
  }

  private static ApiClient.Reply asAdmin(HttpRequest.Builder b) {
    return admin.send(b.header("Authorization", "Bearer " + TOKEN));
  }

  private static JsonArray adminStreams() {
    ApiClient.Reply r = asAdmin(request("/api/admin/streams").GET());
    assertEquals(200, r.status(), r.body());
    return r.array();
  }

  private static JsonObject row(String gid) {
    for (Object o : adminStreams()) {
      if (gid.equals(((JsonObject) o).getString("id"))) return (JsonObject) o;
    }
    return null;
  }

  /** Polls the admin list until the generation's row satisfies {@code test}; returns that row. */
  private static JsonObject awaitRow(String gid, Predicate<JsonObject> test, String what) throws InterruptedException {
    JsonObject last = null;
    for (int i = 0; i < 250; i++) {
      last = row(gid);
      if (last != null && test.test(last)) return last;
      Thread.sleep(20);
    }
    throw new AssertionError(what + "; last row: " + last);
  }

  @Test
  void withoutTheTokenNothingIsShownOrDone() {
    String gid = user.ask(user.newConversation(), "secret question", 400);
    ApiClient stranger = server.client();

    ApiClient.Reply list = stranger.get("/api/admin/streams");
    assertEquals(401, list.status());
    assertNotNull(list.json().getString("error"));
    assertFalse(list.body().contains(gid));
    assertEquals(401, stranger.send(request("/api/admin/streams").header("Authorization", "Bearer wrong").GET()).status());
    assertEquals(401, stranger.send(request("/api/admin/streams").header("Authorization", "Basic " + TOKEN).GET()).status());
    assertEquals(401, stranger.post("/api/admin/streams/" + gid + "/stop", "").status());
    assertEquals(401, stranger.post("/admin/streams/" + gid + "/stop", "").status());

    ApiClient.Reply page = stranger.get("/admin");
    assertEquals(401, page.status());
    assertTrue(page.body().contains("name=\"token\""), "the login form is shown");
    assertFalse(page.body().contains(gid), "no generation is listed");
    assertFalse(page.body().contains(gid.substring(0, 8)));
    ApiClient.Reply stream = stranger.get("/admin/stream");
    assertEquals(401, stream.status());
    assertFalse(stream.body().contains(gid.substring(0, 8)));
    assertEquals(401, stranger.get("/metrics").status());

    assertEquals("running", user.generation(gid).getString("state"), "the refused stop stopped nothing");
    asAdmin(request("/api/admin/streams/" + gid + "/stop").POST(HttpRequest.BodyPublishers.noBody()));
  }

  @Test
  void anotherSessionsGenerationShowsItsFiguresAndFollowsItsViewers() throws Exception {
    String conversation = user.newConversation();
    String gid = user.ask(conversation, "Watch me", 1000);

    JsonObject r = awaitRow(gid, o -> o.getLong("chunks") >= 3, "the generation shows its chunks");
    assertEquals(conversation, r.getString("conversationId"));
    assertEquals("demo", r.getString("model"));
    assertEquals("running", r.getString("state"));
    assertEquals(0, r.getInteger("viewers"));
    assertTrue(r.getLong("ttftMs") >= 0, r.encode());
    assertTrue(r.getDouble("tokensPerSecond") > 0, r.encode());
    long startedAt = r.getLong("startedAt");
    assertTrue(Math.abs(System.currentTimeMillis() - startedAt) < 60_000, r.encode());

    try (SseConnection first = user.events(gid, null, null); SseConnection second = user.events(gid, null, 2L)) {
      assertEquals(200, first.status());
      assertEquals(200, second.status());
      assertNotNull(first.next());
      assertNotNull(second.next());
      JsonObject two = awaitRow(gid, o -> o.getInteger("viewers") == 2, "two open viewers are counted");
      assertTrue(two.getLong("bytesSent") > 0, two.encode());
      assertNotNull(two.getLong("slowestViewerLag"));
      first.close();
      awaitRow(gid, o -> o.getInteger("viewers") == 1, "a closed viewer is no longer counted");
    }
    awaitRow(gid, o -> o.getInteger("viewers") == 0, "no viewers once both closed");

    ApiClient.Reply stopped = asAdmin(request("/api/admin/streams/" + gid + "/stop").POST(HttpRequest.BodyPublishers.noBody()));
    assertEquals(200, stopped.status(), stopped.body());
    assertEquals("stopped", stopped.json().getString("state"));
    JsonObject g = user.generation(gid);
    assertEquals("stopped", g.getString("state"), "the owner sees it stopped");
    long chunks = g.getLong("chunks");
    Thread.sleep(300);
    assertEquals(chunks, user.generation(gid).getLong("chunks"), "no chunk after Stop");
    assertEquals(null, row(gid), "a stopped generation leaves the live list");
    ApiClient.Reply again = asAdmin(request("/api/admin/streams/" + gid + "/stop").POST(HttpRequest.BodyPublishers.noBody()));
    assertEquals("stopped", again.json().getString("state"), "stop is idempotent");
    assertEquals(404, asAdmin(request("/api/admin/streams/no-such-id/stop").POST(HttpRequest.BodyPublishers.noBody())).status());
  }

  @Test
  void loggingInSetsAStrictHttpOnlyCookieThatIsNotTheTokenAndLogoutEndsIt() throws Exception {
    String gid = user.ask(user.newConversation(), "For the admin page", 400);
    // A client without a cookie jar, so every cookie is sent (or not) on purpose.
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> wrong = http.send(form("token=nope"), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, wrong.statusCode());
    assertTrue(wrong.headers().allValues("Set-Cookie").stream().noneMatch(c -> c.startsWith("streamchat_admin=")));

    HttpResponse<String> ok = http.send(form("token=" + TOKEN), HttpResponse.BodyHandlers.ofString());
    assertEquals(303, ok.statusCode());
    assertEquals("/admin", ok.headers().firstValue("Location").orElseThrow());
    String setCookie = ok.headers().allValues("Set-Cookie").stream()
        .filter(c -> c.startsWith("streamchat_admin=")).findFirst().orElseThrow();
    assertTrue(setCookie.toLowerCase(java.util.Locale.ROOT).contains("; httponly"), setCookie);
    assertTrue(setCookie.contains("SameSite=Strict"), setCookie);
    String cookie = setCookie.substring(0, setCookie.indexOf(';'));
    assertFalse(cookie.contains(TOKEN), "the cookie does not carry the token");

    HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(server.url("/admin")))
        .header("Cookie", cookie).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, page.statusCode());
    assertTrue(page.body().contains(gid), "the page lists the running generation");
    HttpResponse<String> api = http.send(HttpRequest.newBuilder(URI.create(server.url("/api/admin/streams")))
        .header("Cookie", cookie).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, api.statusCode());

    HttpResponse<String> out = http.send(HttpRequest.newBuilder(URI.create(server.url("/admin/logout")))
        .header("Cookie", cookie).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(303, out.statusCode());
    HttpResponse<String> after = http.send(HttpRequest.newBuilder(URI.create(server.url("/admin")))
        .header("Cookie", cookie).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, after.statusCode(), "the logged-out cookie no longer works");
    assertFalse(after.body().contains(gid));

    HttpResponse<String> crossSite = http.send(HttpRequest.newBuilder(URI.create(server.url("/admin/login")))
        .header("Content-Type", "application/x-www-form-urlencoded").header("Origin", "https://evil.example")
        .POST(HttpRequest.BodyPublishers.ofString("token=" + TOKEN)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(403, crossSite.statusCode(), "a cross-site login is refused");
    asAdmin(request("/api/admin/streams/" + gid + "/stop").POST(HttpRequest.BodyPublishers.noBody()));
  }

  private static HttpRequest form(String body) {
    return HttpRequest.newBuilder(URI.create(server.url("/admin/login")))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(10)).build();
  }

  @Test
  void metricsCarryTheGenerationFiguresAfterAGeneration() {
    ApiClient viewer = server.client();
    String gid = viewer.ask(viewer.newConversation(), "Count me", 30);
    List<SseEvent> events = viewer.readAll(gid, null, null);
    assertTrue(events.get(events.size() - 1).isEnd());
    viewer.readAll(gid, null, 10L); // a resume

    ApiClient.Reply r = asAdmin(request("/metrics").GET());
    assertEquals(200, r.status());
    String m = r.body();
    for (String name : List.of("streamchat_generations_live", "streamchat_viewers",
        "streamchat_time_to_first_token_seconds_bucket{", "streamchat_chunk_interval_seconds_bucket{",
        "streamchat_chunk_interval_seconds_count{provider=\"demo\"}",
        "streamchat_generation_failures_total{kind=\"model\",provider=\"demo\"}",
        "jvm_memory_used_bytes", "jvm_threads_live_threads", "vertx_http_server_requests_total",
        "vertx_eventbus_")) {
      assertTrue(m.contains(name), "metrics include " + name);
    }
    assertTrue(value(m, "streamchat_chunks_total\\{provider=\"demo\"\\}") >= 30);
    assertTrue(value(m, "streamchat_tokens_total\\{provider=\"demo\",type=\"completion\"\\}") >= 30);
    assertTrue(value(m, "streamchat_time_to_first_token_seconds_count\\{provider=\"demo\"\\}") >= 1);
    assertTrue(value(m, "streamchat_generations_ended_total\\{state=\"done\"\\}") >= 1);
    assertTrue(value(m, "streamchat_viewer_resumes_total") >= 1);
    assertTrue(value(m, "streamchat_sse_sent_bytes_total") > 100);
  }

  private static double value(String metrics, String series) {
    Matcher mm = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(metrics);
    assertTrue(mm.find(), "metrics have " + series);
    return Double.parseDouble(mm.group(1));
  }

  @Test
  void healthAnswersWithItsParts() {
    ApiClient anyone = server.client();
    ApiClient.Reply r = anyone.get("/health");
    assertEquals(200, r.status(), r.body());
    JsonObject h = r.json();
    assertEquals("UP", h.getString("status"));
    assertEquals("UP", h.getJsonObject("checks").getJsonObject("database").getString("status"));
    assertEquals("UP", h.getJsonObject("checks").getJsonObject("streamStore").getString("status"));
    assertEquals(200, anyone.get("/health/ready").status());
    assertEquals("UP", anyone.get("/health/live").json().getString("status"));
  }

  @Test
  void healthIsDownWhenTheStreamStoreCannotWrite() throws Exception {
    try (TestServer broken = TestServer.start(Map.of("STREAMCHAT_ADMIN_TOKEN", TOKEN))) {
      TestServer.deleteTree(broken.dataDir().resolve("journal"));
      ApiClient.Reply r = broken.client().get("/health");
      assertEquals(503, r.status(), r.body());
      JsonObject checks = r.json().getJsonObject("checks");
      assertEquals("DOWN", r.json().getString("status"));
      assertEquals("DOWN", checks.getJsonObject("streamStore").getString("status"));
      assertEquals("UP", checks.getJsonObject("database").getString("status"));
      assertNotEquals(null, checks.getJsonObject("streamStore").getString("error"));
    }
  }
}
