package dev.streamchat.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.ChildInstance;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestDatabase;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The real server in a child JVM is killed with SIGKILL mid-answer; started again on the same
 * data it has every chunk a viewer had received, the answer is interrupted, and it says so.
 */
class KillTest {

  static final List<String> KINDS = TestDatabase.KINDS;
  private static final Pattern LISTENING = Pattern.compile("listening on port (\\d+)");
  /** Put where the port would be when the child's output ends without one. */
  private static final int ENDED = -1;

  @ParameterizedTest
  @FieldSource("KINDS")
  void killNineMidAnswerLosesNothingAViewerSaw(String kind) throws Exception {
    Path dir = Files.createTempDirectory("streamchat-kill");
    try (TestDatabase db = TestDatabase.of(kind)) {
      Map<String, String> env = db.env(Map.of("STREAMCHAT_DEMO_TPS", "200"));
      Process child = startChild(dir, env);
      String conv;
      String gid;
      String seen;
      ApiClient viewer;
      try {
        viewer = ApiClient.of("http://127.0.0.1:" + awaitPort(child));
        conv = viewer.newConversation();
        gid = viewer.ask(conv, "Please write a very long answer", 20_000);
        StringBuilder text = new StringBuilder();
        try (SseConnection events = viewer.events(gid, null, null)) {
          for (int i = 0; i < 10; i++) {
            SseEvent e = events.next();
            assertNotNull(e, "the stream is open");
            text.append(e.json().getString("text"));
          }
          seen = text.toString();
          child.destroyForcibly();  // SIGKILL on Linux: no shutdown hook runs
          assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        }
      } finally {
        child.destroyForcibly();
      }
      assertEquals(137, child.exitValue(), "killed by SIGKILL");

      try (TestServer restarted = TestServer.startOn(dir, env)) {
        ApiClient same = viewer.at(restarted.url(""));
        JsonObject g = same.generation(gid);
        assertEquals("interrupted", g.getString("state"));
        assertTrue(g.getString("text").startsWith(seen),
            "every chunk the viewer received is kept: saw " + seen.length() + " chars, kept " + g.getString("text").length());
        JsonObject c = same.get("/api/conversations/" + conv).json();
        assertEquals("Please write a very long answer", c.getString("title"));
        JsonObject answer = c.getJsonArray("messages").getJsonObject(1);
        assertEquals("interrupted", answer.getString("state"));
        assertEquals(g.getString("text"), answer.getString("content"));
        String page = same.get("/c/" + conv).body();
        assertTrue(page.contains("Interrupted") && page.contains("/g/" + gid + "/continue"),
            "the page shows the answer as interrupted, with Continue");
      }
    } finally {
      TestServer.deleteTree(dir);
    }
  }

  static Process startChild(Path dir, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(ChildInstance.mainCommand()).redirectErrorStream(true);
    pb.environment().putAll(env);
    pb.environment().put("STREAMCHAT_PORT", "0");
    pb.environment().put("STREAMCHAT_DATA_DIR", dir.toString());
    TestServer.liftLoopDelayAdmission(pb.environment());
    return pb.start();
  }

  /**
   * Reads the child's output (all of it, so it never blocks, and echoes it) until it says its port.
   */
  static int awaitPort(Process child) throws InterruptedException {
    BlockingQueue<Integer> port = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          // Into the test's own output (a file per test class): what a child that stalls logged is kept.
          System.out.println("child " + child.pid() + ": " + line);
          Matcher m = LISTENING.matcher(line);
          if (m.find()) port.add(Integer.parseInt(m.group(1)));
        }
      } catch (java.io.IOException ignored) {
        // the child was killed
      } finally {
        port.add(ENDED);
      }
    }, "child-output");
    reader.setDaemon(true);
    reader.start();
    Integer p = port.poll(60, TimeUnit.SECONDS);
    if (p == null) throw new AssertionError("the child server did not say its port within 60 s");
    if (p == ENDED) throw new AssertionError("the child server ended before it said its port (its output is in the test's)");
    return p;
  }
}
