package dev.streamchat.stream.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.app.Config;
import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.ChildInstance;
import dev.streamchat.testing.Nginx;
import dev.streamchat.testing.TestDatabase;
import dev.streamchat.testing.TestRedis;
import dev.streamchat.testing.TestServer;
import dev.streamchat.testing.Viewer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A rolling restart of a service of three instances behind nginx (round robin, no stickiness):
 * each in turn gets SIGTERM while answers stream, hands its running answers over, exits, and is
 * started again. Every answer ends {@code done}; each viewer, reconnecting through nginx whenever
 * its instance goes, has seen exactly the stored text, which is also what the database keeps.
 */
class RollingRestartTest {

  /**
   * Answers of 20 s: on a quiet machine each instance gets its SIGTERM while they still stream (a
   * restart takes a few seconds); on a busy one the later instances may get theirs after the end.
   */
  private static final int TOKENS = 800;

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES) // six JVM starts; on a busy machine each takes a while
  void aRollingRestartOfAllThreeInstancesLosesNoAnswer() throws Exception {
    List<Path> dirs = new ArrayList<>();
    try (TestDatabase db = TestDatabase.of("postgresql"); TestRedis redis = TestRedis.machine()) {
      // The machine may be busy: a slow start is not what this test is about.
      Map<String, String> env = db.env(redis.env(Map.of("STREAMCHAT_DEMO_TPS", "40",
          "STREAMCHAT_DB_CONNECT_TIMEOUT_MS", "20000", "STREAMCHAT_DB_QUERY_TIMEOUT_MS", "20000")));
      for (int i = 0; i < 3; i++) dirs.add(Files.createTempDirectory("streamchat-rolling"));
      List<ChildInstance> instances = new ArrayList<>();
      try {
        // The first migrates the fresh database; the other two start side by side.
        instances.add(ChildInstance.start(dirs.get(0), env));
        instances.addAll(ChildInstance.startAll(dirs.subList(1, 3), env));
        try (Nginx nginx = new Nginx(instances.stream().map(ChildInstance::port).toList())) {
          ApiClient client = ApiClient.of(nginx.url(""));
          List<String> conversations = new ArrayList<>();
          List<String> gids = new ArrayList<>();
          List<Viewer> viewers = new ArrayList<>();
          for (int i = 0; i < 3; i++) {
            // One answer written by each instance; their viewers go through nginx.
            ApiClient onInstance = client.at(instances.get(i).url(""));
            conversations.add(onInstance.newConversation());
            gids.add(onInstance.ask(conversations.get(i), "rolling answer " + i, TOKENS));
            viewers.add(new Viewer(client, gids.get(i)));
          }
          try {
            for (Viewer v : viewers) v.awaitChunks(3, 20_000);
            for (ChildInstance instance : instances) {
              instance.terminate();
              instance.startAgain();
            }
            for (int i = 0; i < 3; i++) {
              JsonObject end = viewers.get(i).awaitEnd(90_000);
              assertEquals("done", end.getString("state"), "answer " + i + ": " + end);
              JsonObject stored = client.generation(gids.get(i));
              assertEquals("done", stored.getString("state"));
              assertEquals(stored.getString("text"), viewers.get(i).text(), "answer " + i + ": seen once, nothing missing");
              assertEquals(TOKENS, end.getLong("chunks"), "the whole answer, within its bound");
              assertSaved(client, conversations.get(i), gids.get(i), viewers.get(i).text());
              System.out.println("rolling restart: answer " + i + " followed over " + viewers.get(i).connections()
                  + " connection(s), longest wait between chunks " + longestGapMs(viewers.get(i)) + " ms");
            }
          } finally {
            for (Viewer v : viewers) v.close();
          }
          // What the instances said, for whoever reads a failure.
          for (ChildInstance i : instances) Files.write(Path.of("target", "rolling-restart-" + i.port() + ".log"), i.output());
          long claimed = instances.stream().flatMap(i -> i.output().stream())
              .filter(l -> l.contains("(gone) claimed here")).count();
          // The first instance still wrote its answer when it got SIGTERM; how many later ones did depends on the machine's pace.
          System.out.println("rolling restart: " + claimed + " answer(s) taken over");
          assertTrue(claimed >= 1, "the answer of the first instance stopped was taken over by another");
          assertTrue(longestGapMs(viewers.get(0)) < Config.Cluster.DEFAULT_LEASE_MS,
              "handed over at once, not after its lease lapsed: " + longestGapMs(viewers.get(0)) + " ms");
        }
      } finally {
        for (ChildInstance i : instances) i.close();
      }
    } finally {
      for (Path d : dirs) TestServer.deleteTree(d);
    }
  }

  private static long longestGapMs(Viewer v) {
    long gap = 0;
    List<Viewer.Seen> seen = v.seen();
    for (int i = 1; i < seen.size(); i++) gap = Math.max(gap, seen.get(i).at() - seen.get(i - 1).at());
    return gap;
  }

  private static void assertSaved(ApiClient client, String conversation, String gid, String text)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + 5000;
    while (true) {
      for (Object o : client.get("/api/conversations/" + conversation).json().getJsonArray("messages")) {
        JsonObject m = (JsonObject) o;
        if (gid.equals(m.getString("generationId")) && "done".equals(m.getString("state"))) {
          assertEquals(text, m.getString("content"), "the saved answer is the one shown");
          return;
        }
      }
      assertTrue(System.currentTimeMillis() < deadline, "the answer is not saved as done");
      Thread.sleep(100);
    }
  }
}
