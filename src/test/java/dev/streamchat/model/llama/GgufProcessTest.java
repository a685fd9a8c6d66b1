package dev.streamchat.model.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ChildInstance;
import dev.streamchat.testing.TestServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * streamchat as its own process ({@code dev.streamchat.app.Main}, as {@code java -jar} runs it):
 * with a GGUF model loaded it exits on SIGTERM, even mid-answer (llama.cpp leaves a non-daemon
 * native thread behind), and it refuses to start on a GGUF file it cannot use.
 */
class GgufProcessTest {

  private static final Pattern LISTENING = Pattern.compile("listening on port (\\d+)");

  /** A running streamchat process and everything it has printed. */
  private record Launched(Process process, List<String> output, Thread reader, Path dataDir) {
    /** Everything printed so far; once the process has exited, everything it printed. */
    String text() throws InterruptedException {
      if (!process.isAlive()) reader.join(5000);
      return String.join("\n", output);
    }

    int awaitPort() throws InterruptedException {
      for (int i = 0; i < 600; i++) {
        for (String line : output) {
          Matcher m = LISTENING.matcher(line);
          if (m.find()) return Integer.parseInt(m.group(1));
        }
        if (!process.isAlive()) break;
        Thread.sleep(50);
      }
      throw new AssertionError("streamchat did not start:\n" + text());
    }
  }

  private static Launched launch(String gguf) throws Exception {
    Path dataDir = Files.createTempDirectory("streamchat-process");
    ProcessBuilder pb = new ProcessBuilder(ChildInstance.mainCommand()).redirectErrorStream(true);
    pb.environment().put("STREAMCHAT_PORT", "0");
    pb.environment().put("STREAMCHAT_DATA_DIR", dataDir.toString());
    pb.environment().put("STREAMCHAT_GGUF", gguf);
    TestServer.liftLoopDelayAdmission(pb.environment());
    Process process = pb.start();
    List<String> output = new CopyOnWriteArrayList<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) output.add(line);
      } catch (Exception ignored) {
        // the process ended
      }
    });
    reader.setDaemon(true);
    reader.start();
    return new Launched(process, output, reader, dataDir);
  }

  @Test
  void exitsOnSigtermWhileAnAnswerIsRunningAndFreesTheModel() throws Exception {
    Launched app = launch(Stories260K.path().toString());
    try {
      int port = app.awaitPort();
      HttpClient http = HttpClient.newBuilder().cookieHandler(new java.net.CookieManager()).build();
      String base = "http://127.0.0.1:" + port;
      String conv = new io.vertx.core.json.JsonObject(http.send(HttpRequest.newBuilder(URI.create(base + "/api/conversations"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
          HttpResponse.BodyHandlers.ofString()).body()).getString("id");
      HttpResponse<String> sent = http.send(HttpRequest.newBuilder(URI.create(base + "/api/conversations/" + conv + "/messages"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"Tell me a long story\",\"maxTokens\":3000}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(202, sent.statusCode(), sent.body());
      Thread.sleep(300);

      long start = System.nanoTime();
      // SIGTERM through the handle: Process.destroy() would also close our end of its output.
      app.process().toHandle().destroy();
      boolean exited = app.process().waitFor(20, TimeUnit.SECONDS);
      double ms = (System.nanoTime() - start) / 1e6;
      assertTrue(exited, "streamchat still running 20 s after SIGTERM:\n" + app.text());
      assertTrue(app.text().contains("interrupted"), "the answer was running at SIGTERM:\n" + app.text());
      assertTrue(app.text().contains("GGUF model " + Stories260K.ID + " closed"),
          "exit " + app.process().exitValue() + " after " + ms + " ms\n" + app.text());
      assertTrue(!app.text().contains("shutdown did not finish cleanly"), app.text());
      System.out.printf("figure: GGUF process exit %.0f ms after SIGTERM (exit code %d)%n", ms, app.process().exitValue());
    } finally {
      app.process().destroyForcibly();
      TestServer.deleteTree(app.dataDir());
    }
  }

  @Test
  void refusesToStartOnAMissingFileAndSaysWhy() throws Exception {
    Launched app = launch("/nonexistent/dir/model.gguf");
    try {
      assertTrue(app.process().waitFor(30, TimeUnit.SECONDS), "still running:\n" + app.text());
      assertEquals(1, app.process().exitValue(), app.text());
      assertTrue(!app.text().contains("shutdown did not finish cleanly"), app.text());
      assertTrue(app.text().contains("STREAMCHAT_GGUF=/nonexistent/dir/model.gguf cannot be used: there is no such file"),
          app.text());
    } finally {
      app.process().destroyForcibly();
      TestServer.deleteTree(app.dataDir());
    }
  }
}
