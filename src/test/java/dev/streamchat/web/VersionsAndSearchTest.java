package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The page routes behind answer versions and the sidebar search, over real HTTP: each session sees
 * only its own, and nonsense gets a clear 4xx.
 */
class VersionsAndSearchTest {

  private static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "500", "STREAMCHAT_DEMO_TOKENS", "10"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static ApiClient.Reply htmxGet(ApiClient client, String path) {
    return client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.url(path)))
        .header("HX-Request", "true").GET());
  }

  @Test
  void regeneratedAnswersKeepTheirVersionsForTheirOwnerOnly() {
    ApiClient alice = server.client();
    String conv = alice.newConversation();
    String first = alice.ask(conv, "Count", 10);
    alice.awaitFinal(first);
    assertEquals(200, alice.pagePost("/g/" + first + "/regenerate", "").status());
    JsonArray messages = alice.get("/api/conversations/" + conv).json().getJsonArray("messages");
    assertEquals(2, messages.size(), "Regenerate replaces the answer");
    String second = messages.getJsonObject(1).getString("generationId");
    alice.awaitFinal(second);

    Matcher link = Pattern.compile("/c/" + conv + "/m/([0-9a-f-]{36})/versions/1").matcher(alice.get("/c/" + conv).body());
    assertTrue(link.find(), "the answer links to its first version");
    String base = "/c/" + conv + "/m/" + link.group(1) + "/versions/";
    ApiClient.Reply v1 = htmxGet(alice, base + "1");
    assertEquals(200, v1.status());
    assertTrue(v1.body().contains("1/2") && v1.body().contains("id=\"msg-" + first + "\""), v1.body());
    assertFalse(v1.body().contains("regenerate"), "an earlier version is not the one to regenerate");
    ApiClient.Reply v2 = htmxGet(alice, base + "2");
    assertTrue(v2.body().contains("2/2") && v2.body().contains("regenerate"), v2.body());

    assertEquals(404, htmxGet(alice, base + "3").status());
    assertEquals(404, htmxGet(alice, base + "0").status());
    assertEquals(400, htmxGet(alice, base + "two").status());
    assertEquals(404, htmxGet(server.client(), base + "1").status(), "another session sees nothing");
    assertEquals(404, htmxGet(alice, "/c/" + conv + "/m/not-a-message/versions/1").status());
  }

  @Test
  void searchFindsTheSessionsOwnConversationsByTitleAndText() {
    ApiClient bob = server.client();
    String conv = bob.newConversation();
    bob.awaitFinal(bob.ask(conv, "Notes on 50% of the zebra_crossings", 5));
    ApiClient stranger = server.client();
    stranger.awaitFinal(stranger.ask(stranger.newConversation(), "zebra for the stranger", 5));

    String found = htmxGet(bob, "/search?q=" + URLEncoder.encode("ZEBRA", StandardCharsets.UTF_8)).body();
    assertTrue(found.contains("/c/" + conv), found);
    assertFalse(found.contains("stranger"), "only the session's own");
    assertTrue(htmxGet(bob, "/search?q=" + URLEncoder.encode("50%", StandardCharsets.UTF_8)).body().contains("/c/" + conv));
    assertTrue(htmxGet(bob, "/search?q=" + URLEncoder.encode("5%z", StandardCharsets.UTF_8)).body()
        .contains("No conversation matches."), "% is a character, not a wildcard");
    assertTrue(htmxGet(bob, "/search?q=").body().contains("/c/" + conv), "an empty search lists everything again");
    assertEquals(400, htmxGet(bob, "/search?q=" + "x".repeat(201)).status());
  }
}
