package dev.streamchat.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A signed-in session and a token outlive a restart of the server; an anonymous one too. */
class SignedInRestartTest {

  @Test
  void sessionsAndTokensSurviveARestart() throws Exception {
    Path data = Files.createTempDirectory("streamchat-restart");
    try {
      ApiClient person;
      ApiClient anonymous;
      String token;
      String conv;
      String anonymousConv;
      try (TestServer first = TestServer.startOn(data, Map.of())) {
        person = Auth.newUser(first, Auth.uniqueName("uma"));
        conv = person.newConversation();
        token = person.post("/api/auth/tokens", new io.vertx.core.json.JsonObject().put("name", "t")).json().getString("token");
        anonymous = first.client();
        anonymousConv = anonymous.newConversation();
      }
      try (TestServer second = TestServer.startOn(data, Map.of())) {
        ApiClient again = person.at(second.url(""));
        assertEquals(200, again.get("/api/auth/me").status(), "still signed in");
        assertEquals(conv, again.get("/api/conversations").array().getJsonObject(0).getString("id"));
        assertEquals(200, second.client().send(Auth.bearer(second, "/api/conversations", token).GET()).status());
        assertEquals(anonymousConv, anonymous.at(second.url("")).get("/api/conversations").array()
            .getJsonObject(0).getString("id"), "anonymous sessions work as before");
      }
    } finally {
      TestServer.deleteTree(data);
    }
  }
}
