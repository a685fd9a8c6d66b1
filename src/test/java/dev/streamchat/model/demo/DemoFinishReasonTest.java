package dev.streamchat.model.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The demo model says why its answer ended, as a real model does: cut by maxTokens is {@code length}. */
class DemoFinishReasonTest {

  @Test
  void anAnswerCutByMaxTokensEndsWithLengthAndAWholeOneWithStop() throws Exception {
    try (TestServer app = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "500", "STREAMCHAT_DEMO_TOKENS", "12"))) {
      ApiClient client = app.client();
      String conversation = client.newConversation();

      String cut = client.ask(conversation, "Tell me more", "demo", 5);
      List<SseEvent> events = client.readAll(cut, null, null);
      JsonObject end = events.get(events.size() - 1).json();
      assertEquals("length", end.getString("finishReason"), end.encode());
      JsonObject g = client.awaitFinal(cut);
      assertEquals("done", g.getString("state"));
      assertEquals("length", g.getString("finishReason"));
      assertEquals(5, g.getString("text").split(" ").length, "five tokens: " + g.getString("text"));

      String whole = client.ask(conversation, "And now?", "demo", null);
      JsonObject w = client.awaitFinal(whole);
      assertEquals("stop", w.getString("finishReason"), "the demo's own length is its whole answer: " + w.encode());
    }
  }
}
