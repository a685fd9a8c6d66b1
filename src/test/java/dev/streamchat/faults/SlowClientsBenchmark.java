package dev.streamchat.faults;

import dev.streamchat.testing.TestServer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Honest-request latency while 3,000 raw sockets trickle one header byte a second, with the
 * default timeouts, and again with a connection cap as under a 1,024-descriptor limit (896).
 * Prints figures, asserts nothing. Run: mvn -o test -Dtest=SlowClientsBenchmark -Dbench=true
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class SlowClientsBenchmark {

  private static final int SLOW = 3_000;

  @Test
  void honestLatencyUnderSlowClients() throws Exception {
    measure("defaults (header timeout 10 s, cap from the open-file limit)", Map.of());
    measure("cap 896, as under ulimit -n 1024", Map.of("STREAMCHAT_MAX_CONNECTIONS", "896"));
  }

  private static void measure(String setting, Map<String, String> env) throws Exception {
    try (TestServer server = TestServer.start(env); SlowClients slow = new SlowClients(server.port(), SLOW)) {
      List<Long> micros = new ArrayList<>();
      int failed = 0;
      long started = System.currentTimeMillis();
      long nextByte = 0;
      while (System.currentTimeMillis() - started < 15_000) {
        if (System.currentTimeMillis() >= nextByte) {
          slow.trickle();
          nextByte = System.currentTimeMillis() + 1_000;
        }
        long t0 = System.nanoTime();
        int status = SlowClients.honest(server.port(), "/health/live");
        micros.add((System.nanoTime() - t0) / 1_000);
        if (status != 200) failed++;
        Thread.sleep(50);
      }
      Collections.sort(micros);
      System.out.printf("%d slow clients, %s: %d honest requests, %d failed, latency p50 %.1f ms, p99 %.1f ms, "
          + "max %.1f ms; slow clients closed by the server after 15 s: %d%n", SLOW, setting, micros.size(), failed,
          micros.get(micros.size() / 2) / 1000.0, micros.get(micros.size() * 99 / 100) / 1000.0,
          micros.get(micros.size() - 1) / 1000.0, slow.closedCount());
    }
  }
}
