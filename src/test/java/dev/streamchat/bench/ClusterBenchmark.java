package dev.streamchat.bench;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.ChildInstance;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestDatabase;
import dev.streamchat.testing.TestRedis;
import dev.streamchat.testing.TestServer;
import dev.streamchat.testing.Viewer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cluster section of the benchmark, on the machine's PostgreSQL and Redis:
 * <ol>
 *   <li>the latency a viewer on another instance than the generation adds per chunk (events
 *       through Redis pub/sub), against a viewer on the same instance, for the same answers;</li>
 *   <li>tokens per second that three instances deliver against one, for the same load of
 *       concurrent answers, each followed by one viewer on the instance writing it;</li>
 *   <li>the time from {@code kill -9} of the instance writing an answer to the answer continuing
 *       for its viewer on another instance (a child process is killed).</li>
 * </ol>
 * The instances measured run in this JVM; the killed one in a process of its own. Figures are in
 * BENCHMARKS.md, "Several instances".
 * Run: {@code mvn -q test-compile && java -cp target/test-classes:target/classes:$(cat cp.txt)
 * dev.streamchat.bench.ClusterBenchmark [answers] [concurrent] [kills]} (cp.txt from
 * {@code mvn dependency:build-classpath -Dmdep.outputFile=cp.txt}).
 */
public final class ClusterBenchmark {

  private static final int TOKENS = 2000;

  public static void main(String[] args) throws Exception {
    int answers = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int concurrent = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    int kills = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    try (TestDatabase db = TestDatabase.of("postgresql"); TestRedis redis = TestRedis.machine()) {
      Map<String, String> env = db.env(redis.env(Map.of("STREAMCHAT_DEMO_TPS", "100",
          "STREAMCHAT_MAX_GENERATIONS_PER_SESSION", "1000", "STREAMCHAT_MESSAGES_PER_MINUTE", "100000",
          "STREAMCHAT_MAX_GENERATIONS", "1000", "STREAMCHAT_DB_CONNECT_TIMEOUT_MS", "20000",
          "STREAMCHAT_DB_QUERY_TIMEOUT_MS", "20000")));
      try (TestServer first = TestServer.instance(env); TestServer second = TestServer.instance(env)) {
        addedLatency(first, second, answers);
        killToContinue(env, second, kills);
      }
      // Models as fast as the machine lets them write: what bounds the service is its CPU.
      Map<String, String> fast = new HashMap<>(env);
      fast.put("STREAMCHAT_DEMO_TPS", "5000");
      try (TestServer first = TestServer.instance(fast); TestServer second = TestServer.instance(fast);
          TestServer third = TestServer.instance(fast)) {
        throughput(List.of(first), concurrent); // warm-up
        double one = throughput(List.of(first), concurrent);
        double three = throughput(List.of(first, second, third), concurrent);
        System.out.printf("cluster: %d concurrent answers of %d tokens, demo model at 5000 tokens/s: one instance "
            + "%.0f tokens/s, three instances %.0f tokens/s (x%.2f), on %d cores%n", concurrent, TOKENS, one, three,
            three / one, Runtime.getRuntime().availableProcessors());
      }
    }
    System.exit(0);
  }

  private static void addedLatency(TestServer writer, TestServer other, int answers) throws Exception {
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

  /** Tokens per second delivered to viewers by {@code instances}, {@code concurrent} answers spread over them. */
  private static double throughput(List<TestServer> instances, int concurrent) throws Exception {
    ApiClient asker = instances.get(0).client();
    List<Thread> viewers = new ArrayList<>();
    long[] chunks = new long[concurrent];
    long start = System.nanoTime();
    for (int i = 0; i < concurrent; i++) {
      ApiClient on = asker.at(instances.get(i % instances.size()).url(""));
      String gid = on.ask(on.newConversation(), "throughput " + i, TOKENS);
      int slot = i;
      Thread t = new Thread(() -> {
        try (SseConnection c = on.events(gid, null, 0L)) {
          for (SseEvent e; (e = c.next()) != null; ) if (e.id() != null) chunks[slot] = e.id();
        }
      });
      t.start();
      viewers.add(t);
    }
    for (Thread t : viewers) t.join();
    double seconds = (System.nanoTime() - start) / 1e9;
    long total = 0;
    for (long c : chunks) total += c;
    return total / seconds;
  }

  /** Kills an instance writing an answer (a child process) and times the answer going on for a viewer elsewhere. */
  private static void killToContinue(Map<String, String> env, TestServer survivor, int kills) throws Exception {
    List<Long> took = new ArrayList<>();
    for (int k = 0; k < kills; k++) {
      Path dir = Files.createTempDirectory("streamchat-bench-kill");
      Map<String, String> slow = new HashMap<>(env);
      slow.put("STREAMCHAT_DEMO_TPS", "20");
      try (ChildInstance dying = ChildInstance.start(dir, slow)) {
        ApiClient onDying = ApiClient.of(dying.url(""));
        String gid = onDying.ask(onDying.newConversation(), "bench kill", 2000);
        try (Viewer viewer = new Viewer(onDying.at(survivor.url("")), gid)) {
          viewer.awaitChunks(5, 30_000);
          dying.kill();
          long killedAt = System.currentTimeMillis();
          long deadline = killedAt + 30_000;
          long continued = -1;
          while (continued < 0 && System.currentTimeMillis() < deadline) {
            for (Viewer.Seen s : viewer.seen()) {
              if (s.at() > killedAt + 500) {
                continued = s.at();
                break;
              }
            }
            Thread.sleep(5);
          }
          took.add(continued < 0 ? -1 : continued - killedAt);
        }
      } finally {
        TestServer.deleteTree(dir);
      }
    }
    Collections.sort(took);
    System.out.printf("cluster: kill -9 to the answer continuing on another instance: %s ms (lease %d ms, "
        + "checked every second)%n", took, 6000);
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
