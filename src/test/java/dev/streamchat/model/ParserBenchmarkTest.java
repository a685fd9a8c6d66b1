package dev.streamchat.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamchat.model.anthropic.AnthropicStreamParser;
import dev.streamchat.model.http.Redactor;
import dev.streamchat.model.http.StreamParser;
import dev.streamchat.model.ollama.OllamaStreamParser;
import dev.streamchat.model.openai.OpenAiStreamParser;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Every parser reads a recorded stream of 100k chunks fed in 1400-byte network reads whole. With
 * {@code -Dbench} it reads it four times and prints how many chunks per second each handles (the
 * first round warms the JIT); a plain run reads it once, for the text alone.
 */
class ParserBenchmarkTest {

  private static final int CHUNKS = 100_000;
  private static final int READ_BYTES = 1400;
  private static final boolean BENCH = System.getProperty("bench") != null;

  @Test
  void chunksPerSecondPerParser() {
    List<WireStreams.Piece> pieces = new ArrayList<>(CHUNKS);
    for (int i = 0; i < CHUNKS; i++) pieces.add(new WireStreams.Piece(i % 20 == 0, i % 50 == 0 ? " wörld🙂" : " token" + (i % 1000)));
    String expected = WireStreams.text(pieces);
    run("openai", FakeProviders.Protocol.OPENAI.body(pieces, true), expected, OpenAiStreamParser::new);
    run("ollama", FakeProviders.Protocol.OLLAMA.body(pieces, true), expected, OllamaStreamParser::new);
    run("anthropic", FakeProviders.Protocol.ANTHROPIC.body(pieces, true), expected, AnthropicStreamParser::new);
  }

  private static void run(String name, byte[] body, String expected,
      BiFunction<StreamListener, Redactor, StreamParser> factory) {
    List<Buffer> reads = new ArrayList<>();
    for (int from = 0; from < body.length; from += READ_BYTES) {
      reads.add(Buffer.buffer(java.util.Arrays.copyOfRange(body, from, Math.min(body.length, from + READ_BYTES))));
    }
    double best = 0;
    List<Double> rates = new ArrayList<>();
    for (int round = 0; round < (BENCH ? 4 : 1); round++) {
      RecordingListener l = new RecordingListener();
      StreamParser parser = factory.apply(l, new Redactor("sk-bench-key"));
      long t0 = System.nanoTime();
      for (Buffer b : reads) parser.feed(b);
      parser.finish();
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertEquals(expected, l.text.toString());
      assertEquals(CHUNKS, l.parts);
      if (round > 0) rates.add(CHUNKS / seconds); // round 0 warms the JIT
      best = Math.max(best, CHUNKS / seconds);
    }
    if (!BENCH) return;
    rates.sort(Double::compare);
    System.out.printf("PARSER %-9s %,d chunks, %,d bytes: median %,.0f chunks/s, best %,.0f chunks/s (%.1f MB/s)%n",
        name, CHUNKS, body.length, rates.get(rates.size() / 2), best, best * body.length / CHUNKS / 1e6);
  }
}
