package dev.streamchat.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.model.FakeProviders.Protocol;
import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SseEvent;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A model server that ignores {@code max_tokens} and streams forever, as fast as the socket
 * takes it: streamchat enforces its own bounds, stops the model and ends the answer done with
 * finish reason length, and the process stays up.
 */
class RunawayModelTest {

  private static final int MAX_ANSWER_BYTES = 8 * 1024;
  private static FakeProviders fakes;
  private static ApiClient client;

  @BeforeAll
  static void start() throws Exception {
    fakes = new FakeProviders(Map.of("STREAMCHAT_MAX_ANSWER_BYTES", String.valueOf(MAX_ANSWER_BYTES)));
    client = fakes.app.client();
  }

  @AfterAll
  static void stop() throws Exception {
    fakes.close();
  }

  private static void runaway() {
    byte[] piece = ("data: " + WireStreams.openAiChunk(new WireStreams.Piece(false, " tok")) + "\n\n")
        .getBytes(StandardCharsets.UTF_8);
    fakes.onChat(Protocol.OPENAI, (req, ex) -> {
      ex.begin(Protocol.OPENAI.contentType);
      ex.streamUntilClosed(piece, 0, 30_000);
    });
  }

  @Test
  void anAnswerEndsAtMaxTokensWithFinishReasonLengthAndTheModelIsStopped() throws Exception {
    runaway();
    String gid = client.ask(client.newConversation(), "Count forever", Protocol.OPENAI.modelId, 50);
    List<SseEvent> events = client.readAll(gid, null, null);
    SseEvent end = events.get(events.size() - 1);
    assertEquals("done", end.json().getString("state"));
    assertEquals("length", end.json().getString("finishReason"));
    assertEquals(50, end.json().getLong("chunks"));
    assertTrue(fakes.server(Protocol.OPENAI).awaitClientClose(5000) > 0, "the model's stream is closed");
    JsonObject g = client.generation(gid);
    assertEquals(" tok".repeat(50), g.getString("text"));
    assertEquals("length", g.getString("finishReason"));
    assertEquals(200, client.get("/health/live").status(), "the process stays up");
  }

  @Test
  void anAnswerWithoutMaxTokensEndsAtTheByteCap() throws Exception {
    runaway();
    String gid = client.ask(client.newConversation(), "Talk forever", Protocol.OPENAI.modelId, null);
    JsonObject g = client.awaitFinal(gid);
    assertEquals("done", g.getString("state"));
    assertEquals("length", g.getString("finishReason"));
    assertEquals(MAX_ANSWER_BYTES, g.getString("text").getBytes(StandardCharsets.UTF_8).length);
    assertTrue(fakes.server(Protocol.OPENAI).awaitClientClose(5000) > 0, "the model's stream is closed");
    // The saved answer is the same, bounded text.
    String next = client.ask(client.newConversation(), "still there?", null, 3);
    assertEquals("done", client.awaitFinal(next).getString("state"), "the server answers on");
  }
}
