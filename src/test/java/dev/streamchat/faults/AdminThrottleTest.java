package dev.streamchat.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Guessing the admin token is throttled per address: after the allowed wrong tokens in a minute,
 * every token from that address (bearer or login form, right or wrong) is a 429 with
 * Retry-After, while an admin already logged in carries on.
 */
class AdminThrottleTest {

  private static final String TOKEN = "the-real-admin-token";

  @Test
  void wrongTokensLockTheAddressOut() throws Exception {
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_ADMIN_TOKEN", TOKEN,
        "STREAMCHAT_ADMIN_ATTEMPTS_PER_MINUTE", "5"))) {
      HttpClient http = HttpClient.newHttpClient();
      String admin = loginCookie(http, server);

      for (int i = 0; i < 5; i++) {
        assertEquals(401, bearer(http, server, "guess-" + i).statusCode(), "guess " + i + " is only wrong");
      }
      HttpResponse<String> locked = bearer(http, server, TOKEN);
      assertEquals(429, locked.statusCode(), "even the right token waits once the address guessed too often");
      int wait = Integer.parseInt(locked.headers().firstValue("Retry-After").orElseThrow());
      assertTrue(wait > 0 && wait <= 60, "Retry-After " + wait);
      assertTrue(new JsonObject(locked.body()).getString("error").contains("Too many wrong admin tokens"));

      HttpResponse<String> form = http.send(HttpRequest.newBuilder(URI.create(server.url("/admin/login")))
          .header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString("token=" + TOKEN)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(429, form.statusCode(), "the login form is throttled too");
      assertTrue(form.headers().firstValue("Retry-After").isPresent());

      HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(server.url("/metrics")))
          .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(429, metrics.statusCode(), "and /metrics");

      HttpResponse<String> loggedIn = http.send(HttpRequest.newBuilder(URI.create(server.url("/api/admin/streams")))
          .header("Cookie", admin).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, loggedIn.statusCode(), "an admin logged in before carries on");
    }
  }

  private static HttpResponse<String> bearer(HttpClient http, TestServer server, String token) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(server.url("/api/admin/streams")))
        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String loginCookie(HttpClient http, TestServer server) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.url("/admin/login")))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("token=" + TOKEN)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(303, r.statusCode());
    return r.headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0];
  }
}
