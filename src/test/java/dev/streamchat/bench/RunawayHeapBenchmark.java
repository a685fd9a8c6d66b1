package dev.streamchat.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamchat.model.FakeModelServer;
import dev.streamchat.model.WireStreams;
import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The heap while a model that ignores {@code max_tokens} streams as fast as the socket takes it,
 * bounded only by {@code maxTokens} (here 500,000 pieces): a running generation keeps counters,
 * not its text, so the heap after a collection stays flat while the log grows. Prints figures.
 * Run: mvn test -Dtest=RunawayHeapBenchmark -Dbench=true
 */
@EnabledIfSystemProperty(named = "bench", matches = ".*")
class RunawayHeapBenchmark {

  @Test
  void heapDuringARunawayAnswer() throws Exception {
    byte[] piece = ("data: " + WireStreams.openAiChunk(new WireStreams.Piece(false, " tok")) + "\n\n")
        .getBytes(StandardCharsets.UTF_8);
    try (FakeModelServer model = new FakeModelServer((req, ex) -> {
      if (req.path().startsWith("/v1/models")) {
        ex.reply(200, "application/json", "{\"object\":\"list\",\"data\":[{\"id\":\"runaway\",\"object\":\"model\"}]}");
        return;
      }
      ex.begin("text/event-stream");
      ex.streamUntilClosed(piece, 0, 120_000);
    });
         TestServer app = TestServer.start(Map.of("OPENAI_BASE_URL", model.url("/v1"),
             "STREAMCHAT_MAX_ANSWER_TOKENS", "500000", "STREAMCHAT_MAX_ANSWER_BYTES", "1000000000",
             "STREAMCHAT_ADMIN_TOKEN", "bench-token"))) {
      ApiClient client = app.client();
      MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
      System.gc();
      long before = memory.getHeapMemoryUsage().getUsed();
      String gid = client.ask(client.newConversation(), "forever", "openai:runaway", 500_000);
      long start = System.nanoTime();
      while (System.nanoTime() - start < 90e9) {
        Thread.sleep(2000);
        System.gc();
        long heap = memory.getHeapMemoryUsage().getUsed();
        // The admin list is cheap (counters); the generation's own JSON would read its whole text.
        var running = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(app.url("/api/admin/streams")))
            .header("Authorization", "Bearer bench-token").GET()).array();
        if (running.isEmpty()) break;
        System.out.printf("%5.1f s: %,10d chunks, heap after GC %,6d KiB (%+,d KiB since the start)%n",
            (System.nanoTime() - start) / 1e9, running.getJsonObject(0).getLong("chunks"), heap / 1024,
            (heap - before) / 1024);
      }
      JsonObject g = client.awaitFinal(gid);
      assertEquals("length", g.getString("finishReason"));
      System.out.printf("ended at %,d chunks, finish reason %s%n", g.getLong("chunks"), g.getString("finishReason"));
    }
  }
}
