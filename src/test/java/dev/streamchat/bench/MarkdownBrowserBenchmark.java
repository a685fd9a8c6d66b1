package dev.streamchat.bench;

import dev.streamchat.model.FakeModelServer;
import dev.streamchat.model.WireStreams;
import dev.streamchat.testing.Browser;
import dev.streamchat.testing.TestServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The browser's main-thread time while the 3,000-token answer of {@link MarkdownStreamBenchmark}
 * streams into the chat page, from Chromium's own performance metrics (TaskDuration, ScriptDuration,
 * LayoutDuration, RecalcStyleDuration), per second of streaming and per token. It runs a built jar,
 * so the same figures can be taken of an older build for comparison.
 * Run: java -cp target/test-classes:target/classes:$(cat cp.txt) dev.streamchat.bench.MarkdownBrowserBenchmark
 *      target/streamchat.jar [tokens per second, default 150]
 */
public final class MarkdownBrowserBenchmark {

  private static final Pattern TOKEN = Pattern.compile("\\s*\\S+|\\s+");
  private static final Pattern LISTENING = Pattern.compile("listening on port (\\d+)");
  private static final List<String> METRICS = List.of("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration");

  public static void main(String[] args) throws Exception {
    String jar = args[0];
    double tps = args.length > 1 ? Double.parseDouble(args[1]) : 150;
    List<String> tokens = TOKEN.matcher(MarkdownStreamBenchmark.answer()).results().map(m -> m.group()).toList();
    long pauseNanos = (long) (1e9 / tps);
    try (FakeModelServer model = new FakeModelServer((req, ex) -> {
      if (req.path().startsWith("/v1/models")) {
        ex.reply(200, "application/json", "{\"data\":[{\"id\":\"bench\"}]}");
        return;
      }
      ex.begin("text/event-stream");
      long next = System.nanoTime();
      for (String t : tokens) {
        ex.write(("data: " + WireStreams.openAiChunk(new WireStreams.Piece(false, t)) + "\n\n").getBytes(StandardCharsets.UTF_8));
        next += pauseNanos;
        long wait = next - System.nanoTime();
        if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
      }
      ex.write("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
          .getBytes(StandardCharsets.UTF_8));
      ex.end();
    })) {
      Path data = Files.createTempDirectory("streamchat-bench-data");
      // Run from the jar's project (target/..): an app may read templates/ from its working directory.
      Path project = Path.of(jar).toAbsolutePath().getParent().getParent();
      ProcessBuilder pb = new ProcessBuilder("java", "-jar", Path.of(jar).toAbsolutePath().toString())
          .directory(project.toFile()).redirectErrorStream(true);
      pb.environment().putAll(Map.of("STREAMCHAT_PORT", "0", "STREAMCHAT_DATA_DIR", data.toString(),
          "OPENAI_BASE_URL", model.url("/v1"), "OPENAI_API_KEY", "bench"));
      Process app = pb.start();
      try (Browser browser = Browser.open()) {
        int port = port(app);
        ChromeDriver page = browser.driver();
        page.get("http://127.0.0.1:" + port + "/");
        browser.waitUpTo(java.time.Duration.ofSeconds(30)).until(d -> Boolean.TRUE.equals(((ChromeDriver) d).executeScript(
            "return document.readyState === 'complete' && !!window.htmx;")));
        page.executeCdpCommand("Performance.enable", Map.of());
        page.findElement(By.cssSelector("#composer textarea[name=content]")).sendKeys("Write me a module");
        Map<String, Double> before = metrics(page);
        long start = System.nanoTime();
        page.findElement(By.cssSelector("#composer button.send")).click();
        long lastReport = System.nanoTime();
        while (!"done".equals(page.executeScript("var a = document.querySelector('.msg.assistant'); return a && a.dataset.state;"))) {
          Thread.sleep(20);
          if (System.nanoTime() - lastReport > 10e9) {
            lastReport = System.nanoTime();
            System.out.println("  waiting: the page shows " + page.executeScript(
                "var b = document.querySelector('.msg.assistant .body'); return b ? b.textContent.length : -1;") + " characters");
          }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Double> after = metrics(page);
        System.out.printf("%s: %,d tokens in %.1f s (%.0f tokens/s)%n", jar, tokens.size(), seconds, tokens.size() / seconds);
        for (String m : METRICS) {
          double busy = after.get(m) - before.get(m);
          System.out.printf("  %-20s %6.1f ms per second of streaming, %6.3f ms per token%n", m, busy * 1000 / seconds,
              busy * 1000 / tokens.size());
        }
      } finally {
        app.destroy();
        app.waitFor(10, TimeUnit.SECONDS);
        TestServer.deleteTree(data);
      }
    }
    System.exit(0);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Double> metrics(ChromeDriver page) {
    Map<String, Object> result = page.executeCdpCommand("Performance.getMetrics", Map.of());
    Map<String, Double> out = new HashMap<>();
    for (Map<String, Object> m : (List<Map<String, Object>>) result.get("metrics")) {
      out.put((String) m.get("name"), ((Number) m.get("value")).doubleValue());
    }
    return out;
  }

  /** Reads the app's output until it says its port; the rest of its output is drained in the background. */
  private static int port(Process app) throws Exception {
    BufferedReader out = new BufferedReader(new InputStreamReader(app.getInputStream(), StandardCharsets.UTF_8));
    for (String line; (line = out.readLine()) != null; ) {
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        CompletableFuture.runAsync(() -> out.lines().forEach(l -> { }));
        return Integer.parseInt(m.group(1));
      }
    }
    throw new IllegalStateException("the app ended before it listened");
  }
}
