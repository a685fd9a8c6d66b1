package dev.streamchat.testing;

import dev.streamchat.model.FakeModelServer;
import dev.streamchat.model.WireStreams;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An OpenAI-compatible model server (a {@link FakeModelServer}) that lists one model,
 * {@code openai:fake-gpt} ({@link FakeOpenAi#MODEL}), and answers in parts with a gate between
 * each two: it writes the first part, waits until the test opens the first gate (having looked at
 * what the page or the API shows meanwhile), writes the next part, and so on, then [DONE]. Each
 * piece of a part is one chunk in one network write.
 */
public final class GatedOpenAi implements AutoCloseable {

  private static final long GATE_WAIT_S = 30;

  private final FakeModelServer server;
  /** The gates of answers asked for from now on; an answer keeps the ones it started with. */
  private volatile List<CountDownLatch> gates;

  /** Answers {@code parts}, each a list of pieces, waiting at a gate between each two. */
  @SafeVarargs
  public GatedOpenAi(List<String>... parts) throws IOException {
    List<List<String>> answer = List.of(parts);
    shutGates(answer.size() - 1);
    server = new FakeModelServer((req, ex) -> {
      if (req.path().startsWith("/v1/models")) {
        ex.reply(200, "application/json", "{\"object\":\"list\",\"data\":[{\"id\":\"fake-gpt\",\"object\":\"model\"}]}");
        return;
      }
      List<CountDownLatch> mine = gates;
      ex.begin("text/event-stream");
      for (int i = 0; i < answer.size(); i++) {
        if (i > 0 && !mine.get(i - 1).await(GATE_WAIT_S, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never opened gate " + i);
        }
        for (String p : answer.get(i)) ex.write(event(WireStreams.openAiChunk(new WireStreams.Piece(false, p))));
      }
      ex.write(event("{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"));
      ex.write(event("[DONE]"));
      ex.end();
    });
  }

  private void shutGates(int count) {
    List<CountDownLatch> shut = new ArrayList<>();
    for (int i = 0; i < count; i++) shut.add(new CountDownLatch(1));
    gates = List.copyOf(shut);
  }

  private static byte[] event(String data) {
    return ("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
  }

  /** Every gate shut again, for the answers asked for from now on (one test's answer, not an earlier one's). */
  public void shutGates() {
    shutGates(gates.size());
  }

  /** Opens the first gate still shut: the answer goes on to its next part. */
  public void open() {
    for (CountDownLatch gate : gates) {
      if (gate.getCount() > 0) {
        gate.countDown();
        return;
      }
    }
    throw new IllegalStateException("every gate is open already");
  }

  /** The environment that points streamchat at this server. */
  public Map<String, String> env() {
    return Map.of("OPENAI_BASE_URL", server.url("/v1"), "OPENAI_API_KEY", "sk-test-key-of-the-fake");
  }

  /** Opens every gate (so no answer is left waiting) and stops the server. */
  @Override
  public void close() throws IOException {
    gates.forEach(CountDownLatch::countDown);
    server.close();
  }
}
