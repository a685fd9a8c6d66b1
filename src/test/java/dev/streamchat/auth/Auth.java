package dev.streamchat.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;

/** Test helpers: accounts over the real API. */
final class Auth {

  static final String PASSWORD = "correct horse battery";
  private static final AtomicInteger NAMES = new AtomicInteger();

  private Auth() {
  }

  /** A username no other test uses. */
  static String uniqueName(String prefix) {
    return prefix + "-" + ProcessHandle.current().pid() % 1000 + "-" + NAMES.incrementAndGet();
  }

  static ApiClient.Reply signup(ApiClient client, String username, String password) {
    return client.post("/api/auth/signup", new JsonObject().put("username", username).put("password", password));
  }

  static ApiClient.Reply login(ApiClient client, String username, String password) {
    return client.post("/api/auth/login", new JsonObject().put("username", username).put("password", password));
  }

  /** A new client signed up as a new user; answers the client, its user id is in {@link #me}. */
  static ApiClient newUser(TestServer server, String username) {
    ApiClient c = server.client();
    ApiClient.Reply r = signup(c, username, PASSWORD);
    assertEquals(201, r.status(), r.body());
    return c;
  }

  static JsonObject me(ApiClient client) {
    ApiClient.Reply r = client.get("/api/auth/me");
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  /** A request with a bearer token (personal or admin). */
  static HttpRequest.Builder bearer(TestServer server, String path, String token) {
    return HttpRequest.newBuilder(URI.create(server.url(path))).header("Authorization", "Bearer " + token);
  }

  /** The value of the session cookie a response sets, or null. */
  static String sessionCookieSet(HttpResponse<?> r) {
    for (String h : r.headers().allValues("Set-Cookie")) {
      if (h.startsWith("streamchat_session=")) return h.substring("streamchat_session=".length(), h.indexOf(';'));
    }
    return null;
  }
}
