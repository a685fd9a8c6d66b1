package dev.streamchat.bench;

import dev.streamchat.filter.FilterMetrics;
import dev.streamchat.filter.ModerationClient;
import dev.streamchat.filter.ModerationStage;
import dev.streamchat.filter.Redaction;
import dev.streamchat.filter.RedactionStage;
import dev.streamchat.filter.Rule;
import dev.streamchat.json.JsonUpdates;
import dev.streamchat.json.PartialJson;
import dev.streamchat.model.ChatMessage;
import dev.streamchat.model.FakeModelServer;
import dev.streamchat.model.Failure;
import dev.streamchat.model.FinishReason;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.Usage;
import dev.streamchat.stream.GenerationInfo;
import dev.streamchat.stream.GenerationRequest;
import dev.streamchat.stream.PipelineStage;
import dev.streamchat.stream.Upstream;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Figures for issue 15 (a main, not a test): the filter's cost per chunk and the characters it
 * holds, the JSON parser's cost per chunk, the bytes of json events per answer byte, and the
 * latency a redaction rule and moderation (a fake endpoint answering in 20 ms) add per token.
 * Run: see README, "Benchmark it".
 */
public final class OutputsBenchmark {

  /** The benchmark feeds the stages itself: there is no model stream to stop or pause. */
  private static final Upstream NO_UPSTREAM = new Upstream() {
    @Override
    public void cancel() {
    }

    @Override
    public void pause() {
    }

    @Override
    public void resume() {
    }
  };
  private static final Pattern TOKEN = Pattern.compile("\\s*[^\\s]{1,4}|\\s+");
  private static final List<Rule> RULES = List.of(
      Rule.redact(Pattern.compile("sk-[A-Za-z0-9]{20,}"), Rule.REDACTED, "api keys"),
      Rule.redact(Pattern.compile("[\\w.+-]+@[\\w-]+\\.[\\w.]+"), "[email]", "emails"),
      Rule.redact(Pattern.compile("\\b(?:\\d[ -]?){13,16}\\b"), "[card]", "card numbers"));

  public static void main(String[] args) throws Exception {
    String answer = proseAnswer();
    List<String> chunks = tokens(answer);
    System.out.printf("answer: %d chars in %d chunks (about a token each)%n", answer.length(), chunks.size());
    filterCost(chunks);
    String json = jsonAnswer();
    List<String> jsonChunks = tokens(json);
    jsonCost(json, jsonChunks);
    latency(tokens(answer.replaceAll("sk-\\S+|\\S+@\\S+|4111[ 0-9]+", "(removed)")));
  }

  private static void filterCost(List<String> chunks) {
    for (List<Rule> rules : List.of(List.<Rule>of(), RULES.subList(0, 1), RULES)) {
      long best = Long.MAX_VALUE;
      List<Integer> held = new ArrayList<>();
      for (int round = 0; round < 300; round++) {
        Redaction r = new Redaction(rules, 256);
        long start = System.nanoTime();
        for (String c : chunks) {
          r.feed(c);
          if (round == 0) held.add(r.held());
        }
        r.finish();
        best = Math.min(best, System.nanoTime() - start);
      }
      int[] h = held.stream().mapToInt(Integer::intValue).sorted().toArray();
      System.out.printf("redaction, %d rule(s): %.0f ns per chunk; held chars p50 %d, p99 %d, max %d%n",
          rules.size(), (double) best / chunks.size(), h[h.length / 2], h[(int) (h.length * 0.99)], h[h.length - 1]);
    }
  }

  private static void jsonCost(String json, List<String> chunks) {
    long parseOnly = Long.MAX_VALUE;
    long withValues = Long.MAX_VALUE;
    for (int round = 0; round < 300; round++) {
      long start = System.nanoTime();
      PartialJson p = new PartialJson();
      for (String c : chunks) p.feed(c);
      p.finish();
      parseOnly = Math.min(parseOnly, System.nanoTime() - start);
      start = System.nanoTime();
      p = new PartialJson();
      for (String c : chunks) {
        p.feed(c);
        if (p.changed()) p.valueJson();
      }
      withValues = Math.min(withValues, System.nanoTime() - start);
    }
    long everyChange = 0;
    PartialJson p = new PartialJson();
    for (String c : chunks) {
      p.feed(c);
      if (p.changed()) everyChange += p.valueJson().length();
    }
    long coalesced = 0;
    int events = 0;
    JsonUpdates u = new JsonUpdates("");
    for (String c : chunks) {
      String v = u.next(c);
      if (v != null) {
        coalesced += v.length();
        events++;
      }
    }
    String last = u.last();
    if (last != null) {
      coalesced += last.length();
      events++;
    }
    System.out.printf("json answer: %d chars in %d chunks%n", json.length(), chunks.size());
    System.out.printf("partial JSON parse: %.0f ns per chunk; with the value serialised on every change: %.0f ns per chunk%n",
        (double) parseOnly / chunks.size(), (double) withValues / chunks.size());
    System.out.printf("json event values per answer byte: %.1f sent on every change, %.2f coalesced (%d events)%n",
        (double) everyChange / json.length(), (double) coalesced / json.length(), events);
  }

  /** Tokens every 20 ms (50/s) through none, a redaction rule, moderation: the delay each token gets. */
  private static void latency(List<String> chunks) throws Exception {
    Vertx vertx = Vertx.vertx();
    FakeModelServer endpoint = new FakeModelServer((req, ex) -> {
      JsonArray inputs = new JsonObject(req.body()).getJsonArray("input");
      Thread.sleep(20);
      JsonArray results = new JsonArray();
      inputs.forEach(i -> results.add(new JsonObject().put("flagged", false).put("categories", new JsonObject())));
      ex.reply(200, "application/json", new JsonObject().put("results", results).encode());
    });
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    FilterMetrics metrics = new FilterMetrics(registry);
    ModerationClient client = new ModerationClient(vertx, endpoint.url("/v1/moderations"), null, 10_000, metrics);
    List<String> run = chunks.subList(0, Math.min(400, chunks.size()));
    try {
      // The first call pays for the HTTP client's start and the connection; not what a token waits for.
      for (int i = 0; i < 5; i++) client.judge(List.of("warm up")).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      System.out.printf("added latency per token, %d tokens at 50/s (moderation endpoint answering in 20 ms):%n", run.size());
      report("none", List.of(), run, vertx);
      report("redaction (1 rule)", List.of(new RedactionStage(RULES.subList(0, 1), 256, metrics)), run, vertx);
      report("redaction (3 rules)", List.of(new RedactionStage(RULES, 256, metrics)), run, vertx);
      report("moderation", List.of(new ModerationStage(vertx, client, 500, metrics)), run, vertx);
      report("moderation, window 80", List.of(new ModerationStage(vertx, client, 80, metrics)), run, vertx);
      var calls = registry.get("streamchat.moderation.latency").timer();
      System.out.printf("  moderation calls: %d (5 of them warm-up), mean %.1f ms, max %.1f ms%n", calls.count(),
          calls.mean(TimeUnit.MILLISECONDS), calls.max(TimeUnit.MILLISECONDS));
    } finally {
      endpoint.close();
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static void report(String name, List<PipelineStage> stages, List<String> chunks, Vertx vertx) throws Exception {
    long[] fedAt = new long[chunks.stream().mapToInt(String::length).sum() + 1];
    List<Long> delays = new ArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    int[] arrived = {0};
    StreamListener sink = new StreamListener() {
      @Override
      public synchronized void onText(String text) {
        long now = System.nanoTime();
        // each released character's delay from when the model wrote it
        for (int i = 0; i < text.length(); i++) delays.add(now - fedAt[arrived[0]++]);
      }

      @Override
      public void onReasoning(String text) {
      }

      @Override
      public void onComplete(FinishReason reason, Usage usage) {
        done.complete(null);
      }

      @Override
      public void onFailure(Failure failure) {
        done.completeExceptionally(new IllegalStateException(failure.message()));
      }
    };
    GenerationRequest request = new GenerationRequest(new GenerationInfo("bench", "c", "o", "m", 0),
        List.of(new ChatMessage("user", "hi")), 0, "");
    CompletableFuture<StreamListener> head = new CompletableFuture<>();
    vertx.runOnContext(v -> { // stages are assembled on the generation's context, as the worker does
      StreamListener next = sink;
      for (int i = stages.size() - 1; i >= 0; i--) next = stages.get(i).wrap(request, next, NO_UPSTREAM);
      head.complete(next);
    });
    StreamListener first = head.get(5, TimeUnit.SECONDS);
    int at = 0;
    for (String c : chunks) {
      long now = System.nanoTime();
      Arrays.fill(fedAt, at, at + c.length(), now);
      at += c.length();
      first.onText(c);
      Thread.sleep(20);
    }
    first.onComplete(FinishReason.STOP, Usage.UNKNOWN);
    done.get(30, TimeUnit.SECONDS);
    long[] d = delays.stream().mapToLong(Long::longValue).sorted().toArray();
    System.out.printf("  %-22s p50 %6.2f ms, p99 %6.2f ms, max %6.2f ms%n", name, d[d.length / 2] / 1e6,
        d[(int) (d.length * 0.99)] / 1e6, d[d.length - 1] / 1e6);
  }

  private static List<String> tokens(String text) {
    List<String> out = new ArrayList<>();
    Matcher m = TOKEN.matcher(text);
    while (m.find()) out.add(m.group());
    return out;
  }

  /** About 6,000 characters of an assistant's prose, with a key, an address and a card number in it. */
  private static String proseAnswer() {
    String paragraph = "Streaming answers arrive a token at a time, so a filter has to decide, for every piece, "
        + "whether it can already be shown. Most text cannot begin anything a rule looks for and goes out at once; "
        + "only a few characters that might still grow into a match wait for the next token. ";
    StringBuilder b = new StringBuilder();
    for (int i = 0; b.length() < 6000; i++) {
      b.append(paragraph);
      if (i % 4 == 1) b.append("Your key is sk-Abc123Def456Ghi789Jkl012Mno345 and should be rotated. ");
      if (i % 4 == 2) b.append("Write to ada.lovelace@example.org about card 4111 1111 1111 1111 today.\n\n");
    }
    return b.toString();
  }

  /** A structured answer of about 5,000 characters: an itinerary. */
  private static String jsonAnswer() {
    JsonArray days = new JsonArray();
    for (int d = 1; d <= 12; d++) {
      JsonArray stops = new JsonArray();
      for (int s = 0; s < 4; s++) {
        stops.add(new JsonObject().put("name", "Stop " + s + " of day " + d).put("hours", 1.5 + s)
            .put("note", "Arrive early; the light is best in the morning and the queues are short.")
            .put("free", s % 2 == 0));
      }
      days.add(new JsonObject().put("day", d).put("city", d < 6 ? "Rome" : "Florence").put("stops", stops));
    }
    return new JsonObject().put("title", "Twelve days in Italy").put("days", days).encodePrettily();
  }
}
