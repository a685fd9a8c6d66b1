package dev.streamchat.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.model.FakeProviders.Protocol;
import dev.streamchat.testing.ApiClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What a model is sent of a conversation: the system prompt, a bounded history, and Retry. */
class ConversationContextTest {

  private static FakeProviders fakes;
  private static ApiClient client;

  @BeforeAll
  static void start() throws Exception {
    fakes = new FakeProviders(Map.of("STREAMCHAT_SYSTEM_PROMPT", "You are terse.", "STREAMCHAT_HISTORY_CHARS", "1000"));
    client = fakes.app.client();
  }

  @AfterAll
  static void stop() throws Exception {
    fakes.close();
  }

  private static JsonArray sentMessages(Protocol p) {
    return new JsonObject(fakes.server(p).lastRequest(p.chatPath).body()).getJsonArray("messages");
  }

  private static void askAndWait(String conv, String content, String model) throws Exception {
    String gid = client.ask(conv, content, model, null);
    ProviderStreamingTest.awaitFinalWith(client, gid);
  }

  @Test
  void aLongConversationDropsItsOldestTurnsAndThePageSaysSo() throws Exception {
    fakes.onChat(Protocol.OPENAI, FakeProviders.answer(Protocol.OPENAI, WireStreams.ANSWER, 0));
    String conv = client.newConversation();
    String first = "first " + "a".repeat(400);
    String second = "second " + "b".repeat(400);
    String third = "third " + "c".repeat(400);
    askAndWait(conv, first, Protocol.OPENAI.modelId);
    askAndWait(conv, second, null);
    JsonArray sent = sentMessages(Protocol.OPENAI);
    assertEquals(new JsonObject().put("role", "system").put("content", "You are terse."), sent.getJsonObject(0));
    assertEquals(first, sent.getJsonObject(1).getString("content"), "the whole history fits the budget");
    assertEquals("assistant", sent.getJsonObject(2).getString("role"));
    assertEquals(WireStreams.text(WireStreams.ANSWER), sent.getJsonObject(2).getString("content"));
    assertEquals(4, sent.size());

    askAndWait(conv, third, null);
    sent = sentMessages(Protocol.OPENAI);
    assertEquals("system", sent.getJsonObject(0).getString("role"));
    assertEquals(second, sent.getJsonObject(1).getString("content"), "the oldest exchange was dropped first");
    assertEquals(third, sent.getJsonObject(sent.size() - 1).getString("content"));
    assertEquals(4, sent.size());

    String page = client.get("/c/" + conv).body();
    assertEquals(1, page.split("Earlier messages were left out", -1).length - 1, "the third answer says so, only it");
  }

  @Test
  void anthropicGetsTheSystemPromptInItsOwnField() throws Exception {
    fakes.onChat(Protocol.ANTHROPIC, FakeProviders.answer(Protocol.ANTHROPIC, WireStreams.ANSWER, 0));
    askAndWait(client.newConversation(), "Hi", Protocol.ANTHROPIC.modelId);
    JsonObject body = new JsonObject(fakes.server(Protocol.ANTHROPIC).lastRequest("/v1/messages").body());
    assertEquals("You are terse.", body.getString("system"));
    assertEquals("user", body.getJsonArray("messages").getJsonObject(0).getString("role"));
  }

  @Test
  void retrySendsTheLastMessageAgainWithoutTheFailedExchange() throws Exception {
    fakes.onChat(Protocol.OPENAI, (req, ex) -> ex.reply(503, "application/json", "{}"));
    String conv = client.newConversation();
    askAndWait(conv, "Hello?", Protocol.OPENAI.modelId);
    assertTrue(client.get("/c/" + conv).body().contains("/c/" + conv + "/retry"), "the failed answer offers Retry");

    fakes.onChat(Protocol.OPENAI, FakeProviders.answer(Protocol.OPENAI, WireStreams.ANSWER, 0));
    assertEquals(303, client.pagePost("/c/" + conv + "/retry", "").status(), "the page's Retry redirects back");
    JsonArray messages = awaitMessages(conv, 2);
    assertEquals(2, messages.size(), "the page's Retry replaces the failed answer in place: " + messages);
    assertEquals("Hello?", messages.getJsonObject(0).getString("content"));
    assertEquals("done", messages.getJsonObject(1).getString("state"));
    assertEquals(WireStreams.text(WireStreams.ANSWER), messages.getJsonObject(1).getString("content"));
    JsonArray sent = sentMessages(Protocol.OPENAI);
    assertEquals(2, sent.size(), "system prompt and the question, not the failed exchange: " + sent);
    assertEquals("Hello?", sent.getJsonObject(1).getString("content"));
    assertEquals(409, client.pagePost("/c/" + conv + "/retry", "").status(), "only a failed answer is retried");

    ApiClient.Reply r = client.post("/api/conversations/" + conv + "/retry", "");
    assertEquals(202, r.status(), r.body());
    ProviderStreamingTest.awaitFinalWith(client, r.json().getString("generationId"));
    assertEquals(4, client.get("/api/conversations/" + conv).json().getJsonArray("messages").size(),
        "the API's retry sends the last message again as a new exchange");
    assertEquals(404, client.post("/api/conversations/nope/retry", "").status());
  }

  private static JsonArray awaitMessages(String conv, int count) throws InterruptedException {
    for (int i = 0; i < 500; i++) {
      JsonArray ms = client.get("/api/conversations/" + conv).json().getJsonArray("messages");
      if (ms.size() >= count && !"running".equals(ms.getJsonObject(count - 1).getString("state"))) return ms;
      Thread.sleep(10);
    }
    throw new AssertionError("conversation " + conv + " did not reach " + count + " messages");
  }
}
