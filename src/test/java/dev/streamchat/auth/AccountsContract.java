package dev.streamchat.auth;

import static dev.streamchat.auth.Auth.PASSWORD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestDatabase;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Accounts in open mode over real HTTP, against one database kind (the subclasses: H2 and
 * PostgreSQL): devices sharing an account, conversations moving in at sign-in, 404 across
 * accounts, throttling, cookie rotation, tokens, disabling, passwords.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AccountsContract {

  static final String ADMIN = "admin-token-for-accounts-tests";

  private TestDatabase db;
  private TestServer server;

  abstract String kind();

  @BeforeAll
  void start() throws Exception {
    db = TestDatabase.of(kind());
    // Slow demo answers, so one is still running while a second device joins and stops it.
    server = TestServer.start(db.env(Map.of("STREAMCHAT_DEMO_TPS", "20", "STREAMCHAT_ADMIN_TOKEN", ADMIN)));
  }

  @AfterAll
  void stop() throws Exception {
    if (server != null) server.close();
    if (db != null) db.close();
  }

  @Test
  void twoBrowsersOfOneAccountShareTheListJoinARunningAnswerLiveAndEitherStopsIt() throws Exception {
    String name = Auth.uniqueName("alice");
    ApiClient laptop = Auth.newUser(server, name);
    ApiClient phone = server.client();
    assertEquals(200, Auth.login(phone, name, PASSWORD).status());

    String conv = laptop.newConversation();
    String gid = laptop.ask(conv, "Tell me a long story", 400);
    JsonArray onPhone = phone.get("/api/conversations").array();
    assertEquals(1, onPhone.size(), onPhone.encode());
    assertEquals(conv, onPhone.getJsonObject(0).getString("id"), "the phone lists the laptop's conversation");

    // The phone joins the running answer from the start and sees it grow, live.
    try (SseConnection stream = phone.events(gid, null, null)) {
      assertEquals(200, stream.status());
      StringBuilder text = new StringBuilder();
      long lastSeq = 0;
      for (int i = 0; i < 5; i++) {
        SseEvent e = stream.next();
        assertEquals("chunk", e.event(), e.data());
        assertTrue(e.id() > lastSeq, "ids grow");
        lastSeq = e.id();
        text.append(e.json().getString("text"));
      }
      assertEquals("running", laptop.generation(gid).getString("state"), "still being written while the phone watches");

      // Stop from the phone ends the laptop's answer; the phone's stream gets the end, no gap, no duplicate.
      ApiClient.Reply stopped = phone.post("/api/generations/" + gid + "/stop", "{}");
      assertEquals(200, stopped.status(), stopped.body());
      SseEvent e;
      while ((e = stream.next()) != null && !e.isEnd()) text.append(e.json().getString("text"));
      assertNotNull(e, "the stream ended with an end event");
      assertEquals("stopped", e.json().getString("state"));
      JsonObject fin = laptop.awaitFinal(gid);
      assertEquals("stopped", fin.getString("state"), "the laptop sees it stopped");
      assertEquals(fin.getString("text"), text.toString(), "the phone got exactly the answer's text");
    }

    // And the other way round: the phone starts, the laptop stops.
    String gid2 = phone.ask(conv, "Another", 400);
    assertEquals(200, laptop.post("/api/generations/" + gid2 + "/stop", "{}").status());
    assertEquals("stopped", phone.awaitFinal(gid2).getString("state"));
  }

  @Test
  void anAnonymousSessionsConversationsMoveIntoTheAccountAtSignIn() {
    ApiClient browser = server.client();
    String conv = browser.newConversation();
    String gid = browser.ask(conv, "Hello before signing up", 3);
    browser.awaitFinal(gid);

    String name = Auth.uniqueName("bob");
    assertEquals(201, Auth.signup(browser, name, PASSWORD).status());
    JsonArray list = browser.get("/api/conversations").array();
    assertEquals(1, list.size(), list.encode());
    assertEquals(conv, list.getJsonObject(0).getString("id"));
    assertEquals(200, browser.get("/api/generations/" + gid).status(), "its answers came along too");

    ApiClient other = server.client();
    assertEquals(200, Auth.login(other, name, PASSWORD).status());
    assertEquals(conv, other.get("/api/conversations").array().getJsonObject(0).getString("id"),
        "another device of the account sees it");
    // Continuing the moved conversation works (the generation's ownership followed it).
    assertEquals(202, other.post("/api/generations/" + gid + "/regenerate", new JsonObject().put("maxTokens", 3)).status());
  }

  @Test
  void anotherAccountGets404ForEverythingOfTheFirst() {
    ApiClient owner = Auth.newUser(server, Auth.uniqueName("carol"));
    String conv = owner.newConversation();
    String gid = owner.ask(conv, "Mine", 400);
    ApiClient stranger = Auth.newUser(server, Auth.uniqueName("dave"));

    assertEquals(404, stranger.get("/api/conversations/" + conv).status());
    assertEquals(404, stranger.get("/api/generations/" + gid).status());
    assertEquals(404, stranger.get("/api/generations/" + gid + "/events").status());
    assertEquals(404, stranger.post("/api/generations/" + gid + "/stop", "{}").status());
    assertEquals(404, stranger.post("/api/conversations/" + conv + "/messages", new JsonObject().put("content", "hi")).status());
    assertEquals(404, stranger.delete("/api/conversations/" + conv).status());
    assertEquals(0, stranger.get("/api/conversations").array().size());
    assertEquals("running", owner.generation(gid).getString("state"), "nothing the stranger did touched it");
    assertEquals(200, owner.post("/api/generations/" + gid + "/stop", "{}").status());
  }

  @Test
  void wrongPasswordsAreThrottledWithRetryAfter() {
    String name = Auth.uniqueName("erin");
    Auth.newUser(server, name);
    ApiClient guesser = server.client();
    for (int i = 0; i < LoginThrottle.PER_ACCOUNT; i++) {
      ApiClient.Reply r = Auth.login(guesser, name, "wrong password " + i);
      assertEquals(401, r.status(), r.body());
      assertEquals("Wrong username or password.", r.json().getString("error"));
    }
    HttpResponse<String> r = guesser.sendRaw(HttpRequest.newBuilder(URI.create(server.url("/api/auth/login")))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("username", name).put("password", PASSWORD).encode())));
    assertEquals(429, r.statusCode(), "even the right password waits: " + r.body());
    long retryAfter = Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow());
    assertTrue(retryAfter > 0 && retryAfter <= LoginThrottle.WINDOW_MINUTES * 60L, "Retry-After " + retryAfter);
    assertTrue(new JsonObject(r.body()).getString("error").contains("Too many failed sign-ins"), r.body());
  }

  @Test
  void theSessionCookieChangesAtSignInAndSigningOutEndsTheSession() throws Exception {
    String name = Auth.uniqueName("frank");
    Auth.newUser(server, name);
    HttpClient bare = HttpClient.newHttpClient();
    HttpResponse<String> first = bare.send(HttpRequest.newBuilder(URI.create(server.url("/"))).build(),
        HttpResponse.BodyHandlers.ofString());
    String anonymous = Auth.sessionCookieSet(first);
    assertNotNull(anonymous);

    HttpResponse<String> in = bare.send(HttpRequest.newBuilder(URI.create(server.url("/api/auth/login")))
        .header("Cookie", "streamchat_session=" + anonymous).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("username", name).put("password", PASSWORD).encode())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, in.statusCode(), in.body());
    String signedIn = Auth.sessionCookieSet(in);
    assertNotNull(signedIn, "signing in sets a new cookie");
    assertNotEquals(anonymous, signedIn);
    assertEquals(401, get(bare, "/api/auth/me", anonymous).statusCode(), "the cookie from before signing in is not signed in");
    assertEquals(200, get(bare, "/api/auth/me", signedIn).statusCode());

    HttpResponse<String> out = bare.send(HttpRequest.newBuilder(URI.create(server.url("/api/auth/logout")))
        .header("Cookie", "streamchat_session=" + signedIn).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(204, out.statusCode());
    String after = Auth.sessionCookieSet(out);
    assertNotNull(after);
    assertNotEquals(signedIn, after, "signing out gives a fresh anonymous session");
    assertEquals(401, get(bare, "/api/auth/me", signedIn).statusCode(), "the signed-out cookie is worth nothing");
  }

  private HttpResponse<String> get(HttpClient http, String path, String session) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(server.url(path))).header("Cookie", "streamchat_session=" + session)
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void apiTokensWorkAsBearerAreStoredOnlyHashedAndStopWhenRevoked() throws Exception {
    ApiClient person = Auth.newUser(server, Auth.uniqueName("grace"));
    String conv = person.newConversation();
    ApiClient.Reply made = person.post("/api/auth/tokens", new JsonObject().put("name", "my script"));
    assertEquals(201, made.status(), made.body());
    String token = made.json().getString("token");
    String id = made.json().getString("id");
    assertEquals("my script", made.json().getString("name"));
    assertTrue(token.startsWith(Accounts.TOKEN_PREFIX) && token.length() > 40, token);

    ApiClient program = server.client();
    ApiClient.Reply list = program.send(Auth.bearer(server, "/api/conversations", token).GET());
    assertEquals(200, list.status(), list.body());
    assertEquals(conv, list.array().getJsonObject(0).getString("id"), "the token reaches the person's conversations");
    ApiClient.Reply asked = program.send(Auth.bearer(server, "/api/conversations/" + conv + "/messages", token)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"from a script\",\"maxTokens\":2}")));
    assertEquals(202, asked.status(), asked.body());

    JsonArray tokens = person.get("/api/auth/tokens").array();
    assertEquals(1, tokens.size());
    assertEquals(id, tokens.getJsonObject(0).getString("id"));
    assertFalse(tokens.encode().contains(token), "the list never shows the secret");

    // The database holds the token's SHA-256 and nothing from which the token can be read.
    List<Map<String, String>> rows = rows("SELECT * FROM api_tokens WHERE id = '" + id + "'");
    assertEquals(1, rows.size());
    assertEquals(Secrets.digest(token), rows.get(0).get("TOKEN_HASH"));
    assertFalse(rows.toString().contains(token.substring(Accounts.TOKEN_PREFIX.length(), 20)), rows.toString());
    List<Map<String, String>> users = rows("SELECT * FROM users");
    assertTrue(users.stream().allMatch(u -> u.get("PASSWORD_HASH").startsWith("$argon2id$v=19$m=19456,t=2,p=1$")));
    assertFalse(users.toString().contains(PASSWORD), "no password is stored");

    // The admin token is not a personal token, nor the other way round.
    assertEquals(401, program.send(Auth.bearer(server, "/api/conversations", ADMIN).GET()).status());
    assertEquals(401, program.send(Auth.bearer(server, "/api/admin/streams", token).GET()).status());
    assertEquals(200, program.send(Auth.bearer(server, "/api/admin/streams", ADMIN).GET()).status());

    assertEquals(404, Auth.newUser(server, Auth.uniqueName("heidi")).delete("/api/auth/tokens/" + id).status(),
        "another person cannot revoke it");
    assertEquals(204, person.delete("/api/auth/tokens/" + id).status());
    ApiClient.Reply revoked = program.send(Auth.bearer(server, "/api/conversations", token).GET());
    assertEquals(401, revoked.status(), "a revoked token stops at once");
    assertTrue(revoked.json().getString("error").contains("token"), revoked.body());
  }

  @Test
  void aDisabledUsersSessionsAndTokensStopAtOnceAndTheirAnswersStop() {
    String name = Auth.uniqueName("ivan");
    ApiClient person = Auth.newUser(server, name);
    String userId = Auth.me(person).getString("id");
    String token = person.post("/api/auth/tokens", new JsonObject().put("name", "cron")).json().getString("token");
    ApiClient program = server.client();
    assertEquals(200, program.send(Auth.bearer(server, "/api/conversations", token).GET()).status(), "warm the cache");
    String gid = person.ask(person.newConversation(), "Talk for a while", 400);

    ApiClient.Reply listed = program.send(Auth.bearer(server, "/api/admin/users", ADMIN).GET());
    JsonObject row = find(listed.array(), name);
    assertEquals(1, row.getInteger("conversations"));
    assertEquals(1, row.getInteger("liveStreams"));
    assertTrue(row.getLong("storedBytes") > 0);

    ApiClient.Reply disabled = program.send(Auth.bearer(server, "/api/admin/users/" + userId + "/disable", ADMIN)
        .POST(HttpRequest.BodyPublishers.noBody()));
    assertEquals(200, disabled.status(), disabled.body());
    assertTrue(disabled.json().getBoolean("disabled"));

    assertEquals(401, program.send(Auth.bearer(server, "/api/conversations", token).GET()).status(), "the token stopped");
    assertEquals(401, person.get("/api/auth/me").status(), "the session stopped");
    assertEquals(403, Auth.login(server.client(), name, PASSWORD).status(), "signing in is refused");
    JsonArray running = program.send(Auth.bearer(server, "/api/admin/streams", ADMIN).GET()).array();
    assertFalse(running.encode().contains(gid), "their running answer was stopped: " + running.encode());
    assertEquals(0, find(program.send(Auth.bearer(server, "/api/admin/users", ADMIN).GET()).array(), name)
        .getInteger("liveStreams"));

    assertEquals(200, program.send(Auth.bearer(server, "/api/admin/users/" + userId + "/enable", ADMIN)
        .POST(HttpRequest.BodyPublishers.noBody())).status());
    ApiClient back = server.client();
    assertEquals(200, Auth.login(back, name, PASSWORD).status());
    assertEquals("stopped", back.generation(gid).getString("state"));
  }

  @Test
  void aDisabledUsersOpenEventStreamEndsAtOnce() throws Exception {
    ApiClient person = Auth.newUser(server, Auth.uniqueName("judy"));
    String userId = Auth.me(person).getString("id");
    String gid = person.ask(person.newConversation(), "Talk for a long while", 2000);
    try (SseConnection stream = person.events(gid, null, null)) {
      assertEquals("chunk", stream.next().event());
      CompletableFuture<SseEvent> last = CompletableFuture.supplyAsync(() -> {
        SseEvent e;
        SseEvent before = null;
        while ((e = stream.next()) != null) before = e;
        return before;
      });
      long at = System.nanoTime();
      ApiClient.Reply disabled = server.client().send(Auth.bearer(server, "/api/admin/users/" + userId + "/disable", ADMIN)
          .POST(HttpRequest.BodyPublishers.noBody()));
      assertEquals(200, disabled.status());
      // 2,000 tokens at 20/s would take 100 s: ending within 5 s is the disabling, not the answer.
      SseEvent end = last.get(5, TimeUnit.SECONDS);
      System.out.printf("a disabled user's event stream ended %.0f ms after the disable call began%n",
          (System.nanoTime() - at) / 1e6);
      assertTrue(end.isEnd(), "the stream closed with its end event: " + end);
      assertEquals("stopped", end.json().getString("state"));
    }
    assertEquals(404, person.events(gid, null, null).status(), "the browser is a stranger to it now");
  }

  @Test
  void disablingStopsAnAnswerThatBeganBeforeTheUserSignedUp() {
    ApiClient browser = server.client();
    String gid = browser.ask(browser.newConversation(), "Begun anonymously", 2000);
    assertEquals(201, Auth.signup(browser, Auth.uniqueName("kim"), PASSWORD).status());
    String userId = Auth.me(browser).getString("id");
    assertEquals("running", browser.generation(gid).getString("state"), "it moved into the account, still running");
    assertEquals(200, browser.send(Auth.bearer(server, "/api/admin/users/" + userId + "/disable", ADMIN)
        .POST(HttpRequest.BodyPublishers.noBody())).status());
    JsonArray running = browser.send(Auth.bearer(server, "/api/admin/streams", ADMIN).GET()).array();
    assertFalse(running.encode().contains(gid), "stopped with the rest of theirs: " + running.encode());
  }

  @Test
  void changingThePasswordSignsOutTheOtherSessions() {
    String name = Auth.uniqueName("ken");
    ApiClient here = Auth.newUser(server, name);
    ApiClient there = server.client();
    assertEquals(200, Auth.login(there, name, PASSWORD).status());

    assertEquals(403, here.put("/api/auth/password", new JsonObject().put("current", "not it at all")
        .put("password", "a brand new secret")).status(), "the current password is checked");
    assertEquals(400, here.put("/api/auth/password", new JsonObject().put("current", PASSWORD)
        .put("password", "short")).status(), "the new one must be long enough");
    assertEquals(204, here.put("/api/auth/password", new JsonObject().put("current", PASSWORD)
        .put("password", "a brand new secret")).status());
    assertEquals(200, here.get("/api/auth/me").status(), "this session stays");
    assertEquals(401, there.get("/api/auth/me").status(), "the other one was signed out");
    assertEquals(401, Auth.login(server.client(), name, PASSWORD).status());
    assertEquals(200, Auth.login(server.client(), name, "a brand new secret").status());

    assertEquals(204, here.post("/api/auth/logout-everywhere", "{}").status());
    assertEquals(401, here.get("/api/auth/me").status(), "signing out everywhere includes this session");
  }

  @Test
  void mistakesAreClear4xxJson() {
    ApiClient c = server.client();
    assertError(400, Auth.signup(c, "x", PASSWORD), "username");
    assertError(400, Auth.signup(c, "no spaces allowed", PASSWORD), "username");
    assertError(400, Auth.signup(c, "<script>", PASSWORD), "username");
    assertError(400, Auth.signup(c, Auth.uniqueName("ok"), "short"), "at least 10");
    assertError(400, Auth.signup(c, Auth.uniqueName("ok"), "x".repeat(Passwords.MAX_CHARS + 1)), "at most");
    assertError(400, c.post("/api/auth/signup", "{\"username\": 5, \"password\": []}"), "must be a string");
    assertError(400, c.post("/api/auth/login", "[1]"), "JSON object");
    String name = Auth.uniqueName("liz");
    Auth.newUser(server, name);
    assertError(409, Auth.signup(server.client(), name.toUpperCase(), PASSWORD), "taken");
    assertError(401, Auth.login(c, "nobody-" + name, PASSWORD), "Wrong username or password");
    assertError(401, c.get("/api/auth/me"), "Sign in");
    assertError(401, c.post("/api/auth/tokens", new JsonObject().put("name", "x")), "Sign in");
    ApiClient signedIn = Auth.newUser(server, Auth.uniqueName("mia"));
    assertError(400, signedIn.post("/api/auth/tokens", new JsonObject().put("name", " ")), "name");
    assertError(404, signedIn.delete("/api/auth/tokens/not-a-token"), "not found");
    assertError(401, c.send(Auth.bearer(server, "/api/conversations", "sct_forged").GET()), "token");
  }

  private static void assertError(int status, ApiClient.Reply r, String says) {
    assertEquals(status, r.status(), r.body());
    String error = r.json().getString("error");
    assertTrue(error.contains(says), error);
  }

  private static JsonObject find(JsonArray users, String username) {
    for (Object o : users) {
      if (username.equals(((JsonObject) o).getString("username"))) return (JsonObject) o;
    }
    throw new AssertionError(username + " not in " + users.encode());
  }

  /** Rows of a query on the server's own database, column names upper case. */
  private List<Map<String, String>> rows(String sql) throws Exception {
    String url = db.url().map(u -> "jdbc:" + u.replace("postgres@", ""))
        .orElse("jdbc:h2:file:" + server.dataDir().toAbsolutePath().resolve("streamchat")
            + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0");
    try (Connection c = DriverManager.getConnection(url, db.url().isPresent() ? "postgres" : "", "");
         Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      List<Map<String, String>> out = new ArrayList<>();
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        Map<String, String> row = new java.util.HashMap<>();
        for (int i = 1; i <= md.getColumnCount(); i++) row.put(md.getColumnName(i).toUpperCase(), rs.getString(i));
        out.add(row);
      }
      return out;
    }
  }
}
