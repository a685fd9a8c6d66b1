package dev.streamchat.stream.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.ops.AdminAccess;
import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.RoundRobinProxy;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestDatabase;
import dev.streamchat.testing.TestRedis;
import dev.streamchat.testing.TestServer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three instances of one service (each its own Vert.x and data dir; one PostgreSQL schema, one
 * Redis prefix) behind a round-robin balancer with no stickiness: a person never notices which
 * instance answers.
 */
class ClusterTest {

  private static final String ADMIN = "cluster-admin-token";

  private TestDatabase db;
  private TestRedis redis;
  private final List<TestServer> instances = new ArrayList<>();
  private RoundRobinProxy proxy;

  @BeforeEach
  void setUp() throws Exception {
    db = TestDatabase.of("postgresql");
    redis = TestRedis.machine();
    Map<String, String> env = db.env(redis.env(Map.of("STREAMCHAT_ADMIN_TOKEN", ADMIN,
        "STREAMCHAT_DEMO_TPS", "150", "STREAMCHAT_DEMO_TOKENS", "40",
        "STREAMCHAT_MAX_GENERATIONS_PER_SESSION", "1", "STREAMCHAT_MESSAGES_PER_MINUTE", "4")));
    for (int i = 0; i < 3; i++) instances.add(TestServer.instance(env));
    proxy = new RoundRobinProxy(instances.stream().map(TestServer::port).toList());
  }

  @AfterEach
  void tearDown() throws Exception {
    if (proxy != null) proxy.close();
    for (TestServer s : instances) s.close();
    if (redis != null) redis.close();
    if (db != null) db.close();
  }

  @Test
  void aViewerCutAtRandomAndReconnectedEachTimeToAnotherInstanceGetsTheWholeAnswerOnce() throws Exception {
    ApiClient person = ApiClient.of(proxy.url(""));
    String conversation = person.newConversation();
    String gid = person.ask(conversation, "tell me a long story", 400);

    Random random = new Random(17);
    StringBuilder seen = new StringBuilder();
    long cursor = 0;
    int connections = 0;
    int before = proxy.routed().size();
    String end = null;
    while (end == null) {
      connections++;
      try (SseConnection events = person.eventsOnNewConnection(gid, cursor)) {
        assertEquals(200, events.status());
        int cutAfter = 1 + random.nextInt(25);
        for (int n = 0; n < cutAfter; n++) {
          SseEvent e = events.next();
          if (e == null) break;
          if (e.event().equals("end")) {
            end = e.data();
            break;
          }
          JsonObject chunk = new JsonObject(e.data());
          assertEquals(e.id().longValue(), chunk.getLong("seq"));
          assertTrue(chunk.getLong("seq") > cursor, "no event twice: " + chunk.getLong("seq") + " after " + cursor);
          seen.append(chunk.getString("text"));
          cursor = e.id();
        }
      }
    }
    assertEquals("done", new JsonObject(end).getString("state"));
    JsonObject stored = person.awaitFinal(gid);
    assertEquals(stored.getString("text"), seen.toString(), "no gap, no duplicate");
    assertEquals(400, stored.getInteger("chunks"));
    assertTrue(connections >= 6, "cut often enough to matter: " + connections);

    List<Integer> viewer = proxy.routed().subList(before, before + connections);
    for (int i = 1; i < viewer.size(); i++) assertNotEquals(viewer.get(i - 1), viewer.get(i), "each reconnect to another instance");
    assertEquals(3, new HashSet<>(viewer).size(), "every instance served the viewer");
  }

  @Test
  void stopThroughOneInstanceStopsTheModelOnAnother() throws Exception {
    ApiClient onFirst = instances.get(0).client();
    String conversation = onFirst.newConversation();
    String gid = onFirst.ask(conversation, "go on and on", 30_000);
    ApiClient onSecond = onFirst.at(instances.get(1).url(""));
    ApiClient onThird = onFirst.at(instances.get(2).url(""));
    // It runs on the first instance, and the third sees it running.
    long deadline = System.currentTimeMillis() + 5000;
    while (onThird.generation(gid).getLong("chunks") < 5 && System.currentTimeMillis() < deadline) Thread.sleep(20);
    assertEquals("running", onThird.generation(gid).getString("state"));

    var stop = onSecond.post("/api/generations/" + gid + "/stop", new JsonObject());
    assertEquals(200, stop.status(), stop.body());
    assertEquals("stopped", stop.json().getString("state"));
    JsonObject after = onThird.generation(gid);
    assertEquals("stopped", after.getString("state"));
    long chunks = after.getLong("chunks");
    Thread.sleep(300);
    assertEquals(chunks, onFirst.generation(gid).getLong("chunks"), "the model upstream stopped writing");
  }

  @Test
  void theAdminListAndTheLimitsCoverEveryInstanceAndPagesTrustEachOthersCsrfTokens() throws Exception {
    ApiClient onFirst = instances.get(0).client();
    String gid = onFirst.ask(onFirst.newConversation(), "a long one", 20_000);
    ApiClient onThird = onFirst.at(instances.get(2).url(""));

    // The third instance's admin list shows it, with the instance that writes it.
    JsonObject row = null;
    long deadline = System.currentTimeMillis() + 5000;
    while (row == null && System.currentTimeMillis() < deadline) {
      var list = onThird.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create(instances.get(2).url("/api/admin/streams"))).header("Authorization", "Bearer " + ADMIN).GET());
      assertEquals(200, list.status(), list.body());
      for (Object o : list.array()) if (((JsonObject) o).getString("id").equals(gid)) row = (JsonObject) o;
      if (row == null) Thread.sleep(100);
    }
    assertTrue(row != null, "the generation is listed on another instance");
    assertEquals("127.0.0.1:" + instances.get(0).port(), row.getString("instance"));
    assertEquals("running", row.getString("state"));
    // And its admin page names that instance in the generation's row.
    var page = onThird.send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(instances.get(2).url("/admin"))).header("Authorization", "Bearer " + ADMIN).GET());
    assertEquals(200, page.status());
    String liveRow = page.body().substring(page.body().indexOf("data-gid=\"" + gid + "\""));
    liveRow = liveRow.substring(0, liveRow.indexOf("</tr>"));
    assertTrue(liveRow.contains("<td class=\"instance\">127.0.0.1:" + instances.get(0).port() + "</td>"), liveRow);

    // One answer at a time per session (STREAMCHAT_MAX_GENERATIONS_PER_SESSION=1), counted across instances.
    var second = onThird.post("/api/conversations/" + onThird.newConversation() + "/messages",
        new JsonObject().put("content", "another"));
    assertEquals(429, second.status(), second.body());
    assertTrue(second.json().getString("error").contains("answers being written already"), second.body());

    // Four messages a minute (STREAMCHAT_MESSAGES_PER_MINUTE=4), counted across instances: the two
    // above, one more on the second instance (refused for its running answer, still counted)...
    ApiClient onSecond = onFirst.at(instances.get(1).url(""));
    String other = onSecond.newConversation();
    assertEquals(429, onSecond.post("/api/conversations/" + other + "/messages", new JsonObject().put("content", "3")).status());
    assertEquals(429, onFirst.post("/api/conversations/" + other + "/messages", new JsonObject().put("content", "4")).status());
    var fifth = onThird.post("/api/conversations/" + other + "/messages", new JsonObject().put("content", "5"));
    assertEquals(429, fifth.status());
    assertTrue(fifth.json().getString("error").contains("Too many messages: at most 4 a minute"), fifth.body());

    // A page served by one instance and a form sent to another: the CSRF key is the service's.
    assertEquals(onFirst.csrfToken(), onThird.csrfToken());
    assertEquals(200, onThird.post("/api/generations/" + gid + "/stop", new JsonObject()).status());
  }

  @Test
  void anAdminLoginOnOneInstanceHoldsOnTheOthersUntilLoggedOutOnAny() throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(instances.get(0).url("/admin/login")))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("token=" + ADMIN)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(303, login.statusCode());
    String setCookie = login.headers().allValues("Set-Cookie").stream()
        .filter(c -> c.startsWith("streamchat_admin=")).findFirst().orElseThrow();
    String cookie = setCookie.substring(0, setCookie.indexOf(';'));

    assertEquals(200, adminStreams(http, 1, cookie), "the login holds on another instance");
    HttpResponse<String> out = http.send(HttpRequest.newBuilder(URI.create(instances.get(2).url("/admin/logout")))
        .header("Cookie", cookie).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(303, out.statusCode());
    assertEquals(401, adminStreams(http, 0, cookie), "logged out on a third, it ends everywhere");
    assertEquals(401, adminStreams(http, 1, "streamchat_admin=forged"));
  }

  @Test
  void wrongAdminTokensSpreadOverTheInstancesLockTheAddressOutOfEveryOne() throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    // Round robin: no instance sees more than 4 of the 10 guesses a minute allowed.
    for (int i = 0; i < AdminAccess.DEFAULT_ATTEMPTS_PER_MINUTE; i++) {
      assertEquals(401, bearerStreams(http, i % 3, "guess-" + i).statusCode(), "guess " + i + " is only wrong");
    }
    for (int instance = 0; instance < 3; instance++) {
      HttpResponse<String> locked = bearerStreams(http, instance, ADMIN);
      assertEquals(429, locked.statusCode(), "even the right token waits on instance " + instance + ": " + locked.body());
      int wait = Integer.parseInt(locked.headers().firstValue("Retry-After").orElseThrow());
      assertTrue(wait > 0 && wait <= 60, "Retry-After " + wait);
    }
    HttpResponse<String> form = http.send(HttpRequest.newBuilder(URI.create(instances.get(1).url("/admin/login")))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("token=" + ADMIN)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(429, form.statusCode(), "the login form is throttled too");
  }

  private HttpResponse<String> bearerStreams(HttpClient http, int instance, String token) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(instances.get(instance).url("/api/admin/streams")))
        .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private int adminStreams(HttpClient http, int instance, String cookie) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(instances.get(instance).url("/api/admin/streams")))
        .header("Cookie", cookie).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  @Test
  void anAnswerRedisNoLongerHoldsIsServedFromTheDatabase() throws Exception {
    ApiClient person = instances.get(0).client();
    String gid = person.ask(person.newConversation(), "short", 30);
    JsonObject done = person.awaitFinal(gid);
    // Its log expires from Redis (STREAMCHAT_REDIS_TTL_SECONDS, at least a minute) long after the
    // answer is saved; here, at once once it is saved (the save follows the end asynchronously).
    String saved = null;
    long deadline = System.currentTimeMillis() + 5000;
    try (var c = java.sql.DriverManager.getConnection(TestDatabase.PG_JDBC + "?"
             + db.url().orElseThrow().substring(db.url().orElseThrow().indexOf("currentSchema=")), "postgres", "");
         var query = c.prepareStatement("SELECT state FROM messages WHERE generation_id = ?")) {
      query.setString(1, gid);
      while (!"done".equals(saved) && System.currentTimeMillis() < deadline) {
        try (var rows = query.executeQuery()) {
          saved = rows.next() ? rows.getString(1) : null;
        }
        if (!"done".equals(saved)) Thread.sleep(50);
      }
    }
    assertEquals("done", saved, "the answer is saved in the database");
    redis.command("DEL " + redis.prefix() + ":{" + gid + "}:info " + redis.prefix() + ":{" + gid + "}:log");

    ApiClient elsewhere = person.at(instances.get(1).url(""));
    JsonObject archived = elsewhere.generation(gid);
    assertEquals("done", archived.getString("state"));
    assertEquals(done.getString("text"), archived.getString("text"));
    StringBuilder replayed = new StringBuilder();
    List<SseEvent> events = elsewhere.readAll(gid, null, null);
    for (SseEvent e : events) if (e.event().equals("chunk")) replayed.append(new JsonObject(e.data()).getString("text"));
    assertEquals(done.getString("text"), replayed.toString());
    assertEquals("end", events.get(events.size() - 1).event());
    assertEquals(404, ApiClient.of(instances.get(1).url("")).get("/api/generations/" + gid).status(),
        "another session still gets 404");
  }
  @Test
  void aWebSocketViewerOnOtherInstancesThanTheWriterGetsTheWholeAnswerOnceAcrossAResume() throws Exception {
    ApiClient onFirst = instances.get(0).client();
    String gid = onFirst.ask(onFirst.newConversation(), "tell me a story over a socket", 300);
    WebSocketClient sockets = instances.get(0).vertx().createWebSocketClient();
    StringBuilder seen = new StringBuilder();
    long cursor = 0;
    JsonObject end = null;
    // Half the answer from the second instance, the rest (resumed after the last chunk seen) from the third.
    for (int instance = 1; instance <= 2 && end == null; instance++) {
      LinkedBlockingQueue<JsonObject> messages = new LinkedBlockingQueue<>();
      WebSocket ws = sockets.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
              .setPort(instances.get(instance).port()).setURI("/api/ws").setAllowOriginHeader(false)
              .addHeader("Cookie", onFirst.cookieHeader())
              .addHeader("Origin", "http://127.0.0.1:" + instances.get(instance).port()))
          .toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
      ws.textMessageHandler(t -> messages.add(new JsonObject(t)));
      ws.writeTextMessage(new JsonObject().put("subscribe", gid).put("after", cursor).encode());
      int take = instance == 1 ? 40 : Integer.MAX_VALUE;
      for (int n = 0; n < take; n++) {
        JsonObject m = messages.poll(20, TimeUnit.SECONDS);
        assertTrue(m != null, "a message within 20 s");
        if (m.getString("event").equals("end")) {
          end = m;
          break;
        }
        assertEquals("chunk", m.getString("event"), m.encode());
        assertTrue(m.getLong("seq") > cursor, "no chunk twice: " + m.getLong("seq") + " after " + cursor);
        seen.append(m.getString("text"));
        cursor = m.getLong("seq");
      }
      ws.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    assertTrue(end != null, "the end reached the socket");
    assertEquals("done", end.getString("state"));
    JsonObject stored = onFirst.awaitFinal(gid);
    assertEquals(stored.getString("text"), seen.toString(), "no gap, no duplicate");
    assertEquals(stored.getLong("chunks"), end.getLong("chunks"));
  }
}
