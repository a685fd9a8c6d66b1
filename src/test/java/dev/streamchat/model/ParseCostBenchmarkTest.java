package dev.streamchat.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.management.ThreadMXBean;
import dev.streamchat.model.http.Redactor;
import dev.streamchat.model.http.StreamParser;
import dev.streamchat.model.anthropic.AnthropicStreamParser;
import dev.streamchat.model.legacy.LegacyAnthropicStreamParser;
import dev.streamchat.model.legacy.LegacyOllamaStreamParser;
import dev.streamchat.model.legacy.LegacyOpenAiStreamParser;
import dev.streamchat.model.ollama.OllamaStreamParser;
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
 * for each provider's parser as it was (lines as Strings, chunks as trees of maps; kept in
 * {@code legacy}) and as it is (bytes, a streaming JSON parser), in one run. The streams are what
 * the servers send: 100,000 chunks of 1 to 6 characters with the fields each sends (OpenAI's id,
 * object, created, model, system_fingerprint and choices), each chunk in its own network read as
 * a live stream delivers them. With {@code -Dbench} it prints ns and bytes allocated per chunk (the median of
 * rounds that alternate the two, after warm-up rounds); a plain run reads a shorter stream once
 * with each and checks they agree.
 */
class ParseCostBenchmarkTest {

  private static final boolean BENCH = System.getProperty("bench") != null;
  private static final int CHUNKS = BENCH ? 100_000 : 2_000;
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

  /** A stream of tokens in one protocol: the reads, and what the listener must get from them. */
  private record Stream(String protocol, List<Buffer> reads, long chars, long bytes, Usage usage) {
  }

  @Test
  void costPerChunkOldAndNew() {
    measure(openAi(), LegacyOpenAiStreamParser::new, OpenAiStreamParser::new);
    measure(anthropic(), LegacyAnthropicStreamParser::new, AnthropicStreamParser::new);
    measure(ollama(), LegacyOllamaStreamParser::new, OllamaStreamParser::new);
  }

  /** The tokens: 1 to 6 characters of words with accents, emoji, CJK, quotes and newlines. */
  private static List<String> tokens() {
    Random random = new Random(42);
    String[] words = {"the", " model", " streams", " wörld", " 🙂", " tokens", ",", " a", " café", " 中文", "\n", " \"q\"", " ok"};
    List<String> tokens = new ArrayList<>(CHUNKS);
    for (int i = 0; i < CHUNKS; i++) {
      String w = words[random.nextInt(words.length)];
      int n = Math.min(w.length(), 1 + random.nextInt(6));
      tokens.add(w.substring(0, Character.isHighSurrogate(w.charAt(n - 1)) ? n + 1 : n));
    }
    return tokens;
  }

  private static String escaped(String token) {
    return token.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  private static Stream stream(String protocol, List<String> events, List<String> tokens, Usage usage) {
    List<Buffer> reads = new ArrayList<>(events.size());
    long bytes = 0;
    for (String e : events) {
      byte[] b = e.getBytes(StandardCharsets.UTF_8);
      bytes += b.length;
      reads.add(Buffer.buffer(b));
    }
    return new Stream(protocol, reads, tokens.stream().mapToLong(String::length).sum(), bytes, usage);
  }

  /** OpenAI's chunks, with the fields it sends. */
  private static Stream openAi() {
    List<String> tokens = tokens();
    List<String> events = new ArrayList<>();
    String head = "data: {\"id\":\"chatcmpl-AbCdEfGhIjKlMnOpQrStUvWxYz012\",\"object\":\"chat.completion.chunk\","
        + "\"created\":1732874400,\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",";
    for (String t : tokens) {
      events.add(head + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + escaped(t) + "\"},\"logprobs\":null,\"finish_reason\":null}],"
          + "\"usage\":null}\n\n");
    }
    events.add(head + "\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":" + CHUNKS + ",\"total_tokens\":" + (CHUNKS + 12) + "}}\n\n");
    events.add("data: [DONE]\n\n");
    return stream("openai", events, tokens, new Usage(12, CHUNKS));
  }

  /** Anthropic's events, each with its event line. */
  private static Stream anthropic() {
    List<String> tokens = tokens();
    List<String> events = new ArrayList<>();
    events.add("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01XFDUDYJgAACzvnptvVoYEL\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-20250514\",\"stop_reason\":null,\"stop_sequence\":null,"
        + "\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}\n\n");
    events.add("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
    for (String t : tokens) {
      events.add("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\""
          + escaped(t) + "\"}}\n\n");
    }
    events.add("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
    events.add("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
        + "\"usage\":{\"output_tokens\":" + CHUNKS + "}}\n\n");
    events.add("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    return stream("anthropic", events, tokens, new Usage(12, CHUNKS));
  }

  /** Ollama's lines. */
  private static Stream ollama() {
    List<String> tokens = tokens();
    List<String> events = new ArrayList<>();
    for (String t : tokens) {
      events.add("{\"model\":\"llama3.2\",\"created_at\":\"2026-11-29T12:00:00.123456789Z\",\"message\":{\"role\":\"assistant\",\"content\":\""
          + escaped(t) + "\"},\"done\":false}\n");
    }
    events.add("{\"model\":\"llama3.2\",\"created_at\":\"2026-11-29T12:00:05Z\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},"
        + "\"done_reason\":\"stop\",\"done\":true,\"total_duration\":5043500667,\"prompt_eval_count\":12,\"eval_count\":" + CHUNKS + "}\n");
    return stream("ollama", events, tokens, new Usage(12, CHUNKS));
  }

  private static void measure(Stream stream, BiFunction<StreamListener, Redactor, StreamParser> before,
      BiFunction<StreamListener, Redactor, StreamParser> now) {
    Cost old = new Cost("old (String lines, JsonObject tree)", before);
    Cost current = new Cost("new (bytes, streaming JsonParser)", now);
    for (int round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
      boolean measured = round >= WARMUP_ROUNDS;
      Cost first = round % 2 == 0 ? old : current;
      Cost second = first == old ? current : old;
      first.round(stream, measured);
      second.round(stream, measured);
    }
    if (!BENCH) return;
    System.out.printf("PARSE-COST %s, %,d chunks of 1-6 chars, %,d bytes (%.0f bytes/chunk), one chunk per read, median of %d rounds after %d warm-up%n",
        stream.protocol(), CHUNKS, stream.bytes(), stream.bytes() / (double) CHUNKS, ROUNDS, WARMUP_ROUNDS);
    old.print();
    current.print();
    System.out.printf("PARSE-COST %s new/old: time %.2f, allocation %.2f%n", stream.protocol(),
        current.nsPerChunk() / old.nsPerChunk(), current.bytesPerChunk() / old.bytesPerChunk());
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

    void round(Stream stream, boolean measured) {
      CountingListener l = new CountingListener();
      StreamParser parser = factory.apply(l, new Redactor("sk-bench-key-0000"));
      long thread = Thread.currentThread().getId();
      long a0 = THREADS.getThreadAllocatedBytes(thread);
      long t0 = System.nanoTime();
      for (Buffer b : stream.reads()) parser.feed(b);
      parser.finish();
      long t1 = System.nanoTime();
      long a1 = THREADS.getThreadAllocatedBytes(thread);
      assertEquals(true, parser.complete(), name);
      assertEquals(stream.chars(), l.chars, name);
      assertEquals(CHUNKS, l.parts, name);
      assertEquals(stream.usage(), parser.usage(), name);
      int chunks = stream.reads().size();
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
