package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestServer;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Prints the streaming core's figures (no timing is asserted: the machine is shared and noisy):
 * POST to first chunk over the API, chunks per second one stream carries, heap after 100
 * finished generations. Correctness is asserted on the way. A benchmark, out of {@code mvn test}:
 * run it with {@code -Dbench}.
 */
@EnabledIfSystemProperty(named = "bench", matches = ".*")
class CoreFiguresTest {

  @Test
  void printTheCoreFigures() throws Exception {
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "1000000",
        "STREAMCHAT_MAX_ANSWER_TOKENS", "200000", "STREAMCHAT_MESSAGES_PER_MINUTE", "1000"))) {
      ApiClient client = server.client();
      String cid = client.newConversation();

      List<Double> firstChunkMs = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        long t0 = System.nanoTime();
        String gid = client.ask(cid, "first chunk " + i, 5);
        try (SseConnection c = client.events(gid, null, null)) {
          SseEvent first = c.next();
          firstChunkMs.add((System.nanoTime() - t0) / 1e6);
          assertEquals("chunk", first.event());
          while (c.next() != null) { }
        }
      }
      Collections.sort(firstChunkMs);
      System.out.printf("figures: POST message -> first chunk over SSE (incl. opening the stream): median %.1f ms, p90 %.1f ms%n",
          firstChunkMs.get(15), firstChunkMs.get(27));

      int tokens = 200_000;
      long t0 = System.nanoTime();
      String gid = client.ask(cid, "throughput", tokens);
      long events = 0;
      StringBuilder text = new StringBuilder();
      try (SseConnection c = client.events(gid, null, null)) {
        for (SseEvent e; (e = c.next()) != null && !e.isEnd(); events++) text.append(e.json().getString("text"));
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertEquals(client.generation(gid).getString("text"), text.toString());
      System.out.printf("figures: one stream carried %d chunks in %.2f s = %.0f chunks/s (%d events)%n",
          tokens, seconds, tokens / seconds, events);

      System.gc();
      long baseline = usedHeap();
      String c2 = client.newConversation();
      for (int i = 0; i < 100; i++) {
        String g = client.ask(c2, "heap " + i, 120);
        client.readAll(g, null, null);
      }
      System.gc();
      Thread.sleep(200);
      System.gc();
      System.out.printf("figures: heap after 100 finished generations of 120 chunks: %.1f MiB (%.1f MiB more than before them)%n",
          usedHeap() / 1048576.0, (usedHeap() - baseline) / 1048576.0);
    }
  }

  private static long usedHeap() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
