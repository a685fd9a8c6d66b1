package dev.streamchat.bench;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestDatabase;
import dev.streamchat.testing.TestRedis;
import dev.streamchat.testing.TestServer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What following a generation from another instance costs: two viewers of the same answers, one
 * on the instance writing them and one on another (events through Redis pub/sub), and the delay
 * of each chunk at the second over the first. Two instances in this JVM on the machine's
 * PostgreSQL and Redis. The time from {@code kill -9} to an answer's end is printed by
 * InstanceDeathTest.
 * Run: java -cp target/test-classes:target/classes:$(cat cp.txt) dev.streamchat.bench.ClusterBenchmark [answers]
 */
public final class ClusterBenchmark {

  public static void main(String[] args) throws Exception {
    int answers = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    try (TestDatabase db = TestDatabase.of("postgresql"); TestRedis redis = TestRedis.machine()) {
      Map<String, String> env = db.env(redis.env(Map.of("STREAMCHAT_DEMO_TPS", "100",
          "STREAMCHAT_MAX_GENERATIONS_PER_SESSION", "100", "STREAMCHAT_MESSAGES_PER_MINUTE", "1000")));
      try (TestServer writer = TestServer.instance(env); TestServer other = TestServer.instance(env)) {
        ApiClient here = writer.client();
        ApiClient there = here.at(other.url(""));
        List<Double> addedMs = new ArrayList<>();
        for (int round = 0; round < answers + 2; round++) {
          String gid = here.ask(here.newConversation(), "bench", 300);
          Map<Long, Long> atWriter = new ConcurrentHashMap<>();
          Map<Long, Long> atOther = new ConcurrentHashMap<>();
          Thread a = follow(here, gid, atWriter);
          Thread b = follow(there, gid, atOther);
          a.join();
          b.join();
          if (round < 2) continue; // warm-up
          for (var e : atWriter.entrySet()) {
            Long t = atOther.get(e.getKey());
            if (t != null) addedMs.add((t - e.getValue()) / 1e6);
          }
        }
        Collections.sort(addedMs);
        System.out.printf("cluster: %d chunks seen by both viewers; added latency on another instance: "
            + "median %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%n", addedMs.size(),
            at(addedMs, 0.5), at(addedMs, 0.9), at(addedMs, 0.99), addedMs.get(addedMs.size() - 1));
      }
    }
    System.exit(0);
  }

  private static double at(List<Double> sorted, double q) {
    return sorted.get(Math.min(sorted.size() - 1, (int) (q * sorted.size())));
  }

  private static Thread follow(ApiClient client, String gid, Map<Long, Long> arrivals) {
    Thread t = new Thread(() -> {
      try (SseConnection c = client.events(gid, null, 0L)) {
        for (SseEvent e; (e = c.next()) != null; ) {
          long now = System.nanoTime();
          if (e.id() != null) arrivals.put(e.id(), now);
        }
      }
    });
    t.start();
    return t;
  }
}
