package dev.streamchat.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.management.ThreadMXBean;
import dev.streamchat.model.http.Redactor;
import dev.streamchat.model.http.StreamParser;
import dev.streamchat.model.legacy.LegacyOpenAiStreamParser;
import dev.streamchat.model.openai.OpenAiStreamParser;
import io.vertx.core.buffer.Buffer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * What each upstream token costs between its bytes arriving and its text reaching the listener,
 * for the OpenAI parser as it was (lines as Strings, chunks as trees of maps; kept in
 * {@code legacy}) and as it is (bytes, a streaming JSON parser), in one run. The stream is what
 * OpenAI sends: 100,000 chunks of 1 to 6 characters with the usual id, object, created, model,
 * system_fingerprint and choices fields, each chunk in its own network read as a live stream
 * delivers them. With {@code -Dbench} it prints ns and bytes allocated per chunk (the median of
 * rounds that alternate the two, after warm-up rounds); a plain run reads a shorter stream once
 * with each and checks they agree.
 */
class ParseCostBenchmarkTest {

  private static final boolean BENCH = System.getProperty("bench") != null;
  private static final int CHUNKS = BENCH ? 100_000 : 10_000;
  private static final int WARMUP_ROUNDS = BENCH ? 6 : 0;
  private static final int ROUNDS = BENCH ? 10 : 1;

  /** Counts what arrives, allocating nothing of its own. */
  private static final class CountingListener implements StreamListener {
    long chars;
    int parts;

    @Override
    public void onText(String text) {
      chars += text.length();
      parts++;
    }

    @Override
    public void onReasoning(String text) {
      onText(text);
    }

    @Override
    public void onComplete(FinishReason reason, Usage usage) {
    }

    @Override
    public void onFailure(Failure failure) {
    }
  }

  @Test
  void costPerChunkOldAndNew() {
    Random random = new Random(42);
    String[] words = {"the", " model", " streams", " wörld", " 🙂", " tokens", ",", " a", " café", " 中文", "\n", " \"q\"", " ok"};
    List<Buffer> reads = new ArrayList<>(CHUNKS + 2);
    long expectedChars = 0;
    long bytes = 0;
    for (int i = 0; i < CHUNKS; i++) {
      String w = words[random.nextInt(words.length)];
      int n = Math.min(w.length(), 1 + random.nextInt(6));
      String token = w.substring(0, Character.isHighSurrogate(w.charAt(n - 1)) ? n + 1 : n);
      expectedChars += token.length();
      String escaped = token.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
      String event = "data: {\"id\":\"chatcmpl-AbCdEfGhIjKlMnOpQrStUvWxYz012\",\"object\":\"chat.completion.chunk\","
          + "\"created\":1732874400,\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\","
          + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + escaped + "\"},\"logprobs\":null,\"finish_reason\":null}],"
          + "\"usage\":null}\n\n";
      byte[] b = event.getBytes(StandardCharsets.UTF_8);
      bytes += b.length;
      reads.add(Buffer.buffer(b));
    }
    reads.add(Buffer.buffer("data: {\"id\":\"chatcmpl-AbCdEfGhIjKlMnOpQrStUvWxYz012\",\"object\":\"chat.completion.chunk\",\"created\":1732874400,"
        + "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":" + CHUNKS + ",\"total_tokens\":" + (CHUNKS + 12) + "}}\n\n"));
    reads.add(Buffer.buffer("data: [DONE]\n\n"));

    Cost old = new Cost("old (String lines, JsonObject tree)", LegacyOpenAiStreamParser::new);
    Cost now = new Cost("new (bytes, streaming JsonParser)", OpenAiStreamParser::new);
    for (int round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
      boolean measured = round >= WARMUP_ROUNDS;
      Cost first = round % 2 == 0 ? old : now;
      Cost second = first == old ? now : old;
      first.round(reads, expectedChars, measured);
      second.round(reads, expectedChars, measured);
    }
    if (!BENCH) return;
    System.out.printf("PARSE-COST openai, %,d chunks of 1-6 chars, %,d bytes (%.0f bytes/chunk), one chunk per read, median of %d rounds after %d warm-up%n",
        CHUNKS, bytes, bytes / (double) CHUNKS, ROUNDS, WARMUP_ROUNDS);
    old.print();
    now.print();
    System.out.printf("PARSE-COST new/old: time %.2f, allocation %.2f%n", now.nsPerChunk() / old.nsPerChunk(),
        now.bytesPerChunk() / old.bytesPerChunk());
  }

  private static final class Cost {
    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    final String name;
    final BiFunction<StreamListener, Redactor, StreamParser> factory;
    final List<Double> ns = new ArrayList<>();
    final List<Double> allocated = new ArrayList<>();

    Cost(String name, BiFunction<StreamListener, Redactor, StreamParser> factory) {
      this.name = name;
      this.factory = factory;
    }

    void round(List<Buffer> reads, long expectedChars, boolean measured) {
      CountingListener l = new CountingListener();
      StreamParser parser = factory.apply(l, new Redactor("sk-bench-key-0000"));
      long thread = Thread.currentThread().getId();
      long a0 = THREADS.getThreadAllocatedBytes(thread);
      long t0 = System.nanoTime();
      for (Buffer b : reads) parser.feed(b);
      parser.finish();
      long t1 = System.nanoTime();
      long a1 = THREADS.getThreadAllocatedBytes(thread);
      assertEquals(true, parser.complete(), name);
      assertEquals(expectedChars, l.chars, name);
      assertEquals(CHUNKS, l.parts, name);
      assertEquals(new Usage(12, CHUNKS), parser.usage(), name);
      int chunks = reads.size();
      if (!measured) return;
      ns.add((t1 - t0) / (double) chunks);
      allocated.add((a1 - a0) / (double) chunks);
    }

    double nsPerChunk() {
      return median(ns);
    }

    double bytesPerChunk() {
      return median(allocated);
    }

    void print() {
      System.out.printf("PARSE-COST %-38s %,8.0f ns/chunk (best %,.0f), %,8.0f bytes allocated/chunk%n",
          name, nsPerChunk(), ns.stream().mapToDouble(Double::doubleValue).min().orElse(0), bytesPerChunk());
    }

    private static double median(List<Double> xs) {
      List<Double> sorted = new ArrayList<>(xs);
      sorted.sort(Double::compare);
      return sorted.get(sorted.size() / 2);
    }
  }
}
