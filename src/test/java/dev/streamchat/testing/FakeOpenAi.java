package dev.streamchat.testing;

import dev.streamchat.model.FakeModelServer;
import dev.streamchat.model.WireStreams;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * An OpenAI-compatible model server (a {@link FakeModelServer}) that lists one model,
 * {@code openai:fake-gpt}, and answers each chat request with the text pieces a test gives,
 * each piece one chunk in one network write; optionally it goes on writing until the client
 * closes the connection (to see that Stop reaches it).
 */
public final class FakeOpenAi implements AutoCloseable {

  public static final String MODEL = "openai:fake-gpt";

  private final FakeModelServer server;
  private volatile List<String> pieces = List.of("Hello.");
  private volatile boolean keepStreaming;
  private volatile long everyMs = 20;

  public FakeOpenAi() throws IOException {
    server = new FakeModelServer((req, ex) -> {
      if (req.path().startsWith("/v1/models")) {
        ex.reply(200, "application/json", "{\"object\":\"list\",\"data\":[{\"id\":\"fake-gpt\",\"object\":\"model\"}]}");
        return;
      }
      ex.begin("text/event-stream");
      for (String p : pieces) ex.write(event(WireStreams.openAiChunk(new WireStreams.Piece(false, p))));
      if (keepStreaming) {
        ex.streamUntilClosed(event(WireStreams.openAiChunk(new WireStreams.Piece(false, " more"))), everyMs, 10_000);
        return;
      }
      ex.write(event("{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"));
      ex.write(event("[DONE]"));
      ex.end();
    });
  }

  private static byte[] event(String data) {
    return ("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
  }

  /** From now on, each answer is these pieces, then [DONE] (or, with {@code keepStreaming}, more until closed). */
  public void answer(List<String> pieces, boolean keepStreaming) {
    answer(pieces, keepStreaming, 20);
  }

  /** As {@link #answer(List, boolean)}, writing " more" every {@code everyMs} after the pieces. */
  public void answer(List<String> pieces, boolean keepStreaming, long everyMs) {
    this.pieces = List.copyOf(pieces);
    this.keepStreaming = keepStreaming;
    this.everyMs = everyMs;
  }

  public FakeModelServer server() {
    return server;
  }

  /** The environment that points streamchat at this server. */
  public Map<String, String> env() {
    return Map.of("OPENAI_BASE_URL", server.url("/v1"), "OPENAI_API_KEY", "sk-test-key-of-the-fake");
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
