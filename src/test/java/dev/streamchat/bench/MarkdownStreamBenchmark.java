package dev.streamchat.bench;

import dev.streamchat.markdown.IncrementalMarkdown;
import dev.streamchat.markdown.Tail;
import dev.streamchat.model.FakeModelServer;
import dev.streamchat.model.WireStreams;
import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.TestServer;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Figures for answers rendered as Markdown while they stream (issue 13), on a 3,000-token answer
 * with a 300-line code block:
 * <ul>
 *   <li>bytes the chat page's event stream sends ({@code /g/{gid}/stream}), live, token by token,
 *       against the answer's size (and the JSON API's stream of the same answer for scale);</li>
 *   <li>server CPU per token for rendering (IncrementalMarkdown and the tail's edit), median and
 *       99th percentile over the answer, after warm-up.</li>
 * </ul>
 * Run: java -cp target/test-classes:target/classes:$(cat cp.txt) dev.streamchat.bench.MarkdownStreamBenchmark
 */
public final class MarkdownStreamBenchmark {

  /** Word-sized tokens, as the demo model cuts its text. */
  private static final Pattern TOKEN = Pattern.compile("\\s*\\S+|\\s+");

  public static void main(String[] args) throws Exception {
    String answer = answer();
    List<String> tokens = TOKEN.matcher(answer).results().map(m -> m.group()).toList();
    System.out.printf("answer: %,d tokens, %,d bytes (UTF-8), a 300-line code block%n",
        tokens.size(), answer.getBytes(StandardCharsets.UTF_8).length);
    cpuPerToken(tokens);
    bytesOnTheWire(answer, tokens);
    System.exit(0);
  }

  /** CPU time of each token's rendering on this thread, over several passes; the last pass is reported. */
  private static void cpuPerToken(List<String> tokens) {
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    long[] perToken = new long[tokens.size()];
    long wholeTails = 0;
    long edits = 0;
    for (int pass = 0; pass < 12; pass++) {
      wholeTails = 0;
      edits = 0;
      IncrementalMarkdown md = new IncrementalMarkdown();
      Tail shown = Tail.EMPTY;
      for (int i = 0; i < tokens.size(); i++) {
        long t0 = cpu.getCurrentThreadCpuTime();
        IncrementalMarkdown.Step step = md.append(tokens.get(i));
        Tail.Change change = step.tail().since(shown);
        shown = step.tail();
        perToken[i] = cpu.getCurrentThreadCpuTime() - t0;
        wholeTails += shown.withCode().length();
        if (change.html() != null) edits += change.html().add().length();
        if (change.code() != null) edits += change.code().add().length();
      }
      md.end();
    }
    long total = Arrays.stream(perToken).sum();
    System.out.printf("tail characters sent: %,d as edits; %,d if the whole tail went with every token%n", edits, wholeTails);
    long[] sorted = perToken.clone();
    Arrays.sort(sorted);
    System.out.printf("rendering CPU per token: median %.1f µs, p99 %.1f µs, max %.1f µs; whole answer %.1f ms%n",
        sorted[sorted.length / 2] / 1e3, sorted[(int) (sorted.length * 0.99)] / 1e3, sorted[sorted.length - 1] / 1e3,
        total / 1e6);
    // In the code block alone (its lines never parsed while it grows) against the prose around it.
    int codeFrom = -1;
    int codeTo = -1;
    StringBuilder sofar = new StringBuilder();
    for (int i = 0; i < tokens.size(); i++) {
      sofar.append(tokens.get(i));
      if (codeFrom < 0 && sofar.indexOf("```java\n") >= 0) codeFrom = i + 1;
      if (codeFrom >= 0 && codeTo < 0 && sofar.indexOf("\n```\n", sofar.indexOf("```java\n")) >= 0) codeTo = i;
    }
    long[] code = Arrays.copyOfRange(perToken, codeFrom, codeTo);
    Arrays.sort(code);
    System.out.printf("  inside the code block (%d tokens): median %.1f µs; the first and last 100 of its tokens: %.1f / %.1f µs%n",
        code.length, code[code.length / 2] / 1e3, median(Arrays.copyOfRange(perToken, codeFrom, codeFrom + 100)) / 1e3,
        median(Arrays.copyOfRange(perToken, codeTo - 100, codeTo)) / 1e3);
  }

  private static double median(long[] values) {
    long[] v = values.clone();
    Arrays.sort(v);
    return v[v.length / 2];
  }

  /** The answer streamed through the app from a fake model, one token a write, read by a page stream and an API stream. */
  private static void bytesOnTheWire(String answer, List<String> tokens) throws Exception {
    CountDownLatch readersReady = new CountDownLatch(1);
    try (FakeModelServer model = new FakeModelServer((req, ex) -> {
      if (req.path().startsWith("/v1/models")) {
        ex.reply(200, "application/json", "{\"data\":[{\"id\":\"bench\"}]}");
        return;
      }
      ex.begin("text/event-stream");
      readersReady.await(30, TimeUnit.SECONDS);
      for (String t : tokens) {
        ex.write(("data: " + WireStreams.openAiChunk(new WireStreams.Piece(false, t)) + "\n\n").getBytes(StandardCharsets.UTF_8));
        Thread.sleep(1);
      }
      ex.write("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
          .getBytes(StandardCharsets.UTF_8));
      ex.end();
    });
         TestServer server = TestServer.start(Map.of("OPENAI_BASE_URL", model.url("/v1"), "OPENAI_API_KEY", "bench"))) {
      ApiClient api = ApiClient.of(server.url(""));
      String gid = api.ask(api.newConversation(), "Write me a module", "openai:bench", null);
      HttpClient http = HttpClient.newHttpClient();
      CompletableFuture<long[]> page = count(http, server.url("/g/" + gid + "/stream"), api.cookieHeader());
      CompletableFuture<long[]> json = count(http, server.url("/api/generations/" + gid + "/events"), api.cookieHeader());
      Thread.sleep(300); // both streams are open and waiting for the first chunk
      readersReady.countDown();
      long[] p = page.get(120, TimeUnit.SECONDS);
      long[] j = json.get(120, TimeUnit.SECONDS);
      long size = answer.getBytes(StandardCharsets.UTF_8).length;
      System.out.printf("page stream: %,d bytes in %,d events = %.2f x the answer (%.2f bytes per event)%n",
          p[0], p[1], p[0] / (double) size, p[0] / (double) p[1]);
      System.out.printf("JSON API stream, for scale: %,d bytes in %,d events = %.2f x the answer%n",
          j[0], j[1], j[0] / (double) size);
    }
  }

  /** Reads an event stream to its end: {bytes, events}. */
  private static CompletableFuture<long[]> count(HttpClient http, String url, String cookie) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Cookie", cookie)
            .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) throw new IllegalStateException(url + ": " + r.statusCode());
        long bytes = 0;
        long events = 0;
        byte[] buf = new byte[65536];
        try (InputStream in = r.body()) {
          int prev = 0;
          for (int n; (n = in.read(buf)) > 0; ) {
            bytes += n;
            for (int i = 0; i < n; i++) {
              if (buf[i] == '\n' && prev == '\n') events++;
              prev = buf[i];
            }
          }
        }
        return new long[] {bytes, events};
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /** About 3,000 tokens: prose with inline Markdown, a list, a table, a 300-line code block, more prose. */
  static String answer() {
    StringBuilder s = new StringBuilder("# A module in full\n\n");
    String prose = "This paragraph explains the **design** of the module, with `inline code`, a [link](https://example.com) "
        + "and some *emphasis*, the way a chat model writes when it answers a long question in detail. ";
    for (int p = 0; p < 11; p++) s.append(prose.repeat(2)).append("\n\n");
    s.append("## Steps\n\n");
    for (int i = 1; i <= 8; i++) s.append(i).append(". Step ").append(i).append(" does **one** thing well.\n");
    s.append("\n| name | kind | note |\n|---|---|---|\n");
    for (int i = 0; i < 10; i++) s.append("| field").append(i).append(" | `int` | counts things |\n");
    s.append("\n```java\n");
    for (int i = 0; i < 300; i++) {
      s.append("    int value").append(i).append(" = compute(").append(i).append(", \"<").append(i).append(">\");\n");
    }
    s.append("```\n\n");
    for (int p = 0; p < 11; p++) s.append(prose.repeat(2)).append("\n\n");
    s.append("That is the whole module: $O(n)$ in time.");
    return s.toString();
  }
}
