package dev.streamchat.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamchat.model.anthropic.AnthropicStreamParser;
import dev.streamchat.model.http.Redactor;
import dev.streamchat.model.http.StreamFailure;
import dev.streamchat.model.http.StreamParser;
import dev.streamchat.model.legacy.LegacyAnthropicStreamParser;
import dev.streamchat.model.legacy.LegacyOllamaStreamParser;
import dev.streamchat.model.legacy.LegacyOpenAiStreamParser;
import dev.streamchat.model.ollama.OllamaStreamParser;
import dev.streamchat.model.openai.OpenAiStreamParser;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The streaming parsers say exactly what the tree-of-maps parsers before them said (kept in
 * {@code legacy}), on thousands of generated streams: fields in any order, repeated, of the wrong
 * type, unknown ones with nested objects and lists, escapes and surrogate pairs, numbers of every
 * form, bytes that are not UTF-8, broken JSON, every SSE framing, cut by the network anywhere.
 * Each case is seeded: a failure prints the stream that shows it.
 */
class ParserEquivalenceTest {

  private static final int CASES = 1_000;
  private static final String SECRET = "sk-equivalence-SECRET-4242";

  @Test
  void openAiParserSaysWhatTheTreeParserSaid() {
    check(ParserEquivalenceTest::openAiBody, LegacyOpenAiStreamParser::new, OpenAiStreamParser::new);
  }

  @Test
  void anthropicParserSaysWhatTheTreeParserSaid() {
    check(ParserEquivalenceTest::anthropicBody, LegacyAnthropicStreamParser::new, AnthropicStreamParser::new);
  }

  @Test
  void ollamaParserSaysWhatTheTreeParserSaid() {
    check(ParserEquivalenceTest::ollamaBody, LegacyOllamaStreamParser::new, OllamaStreamParser::new);
  }

  private static void check(java.util.function.Function<Gen, byte[]> body,
      BiFunction<StreamListener, Redactor, StreamParser> before, BiFunction<StreamListener, Redactor, StreamParser> now) {
    for (int seed = 0; seed < CASES; seed++) {
      Gen g = new Gen(new Random(seed));
      byte[] bytes = body.apply(g);
      List<byte[]> writes = g.split(bytes);
      String expected = outcome(before, writes);
      String actual = outcome(now, writes);
      int s = seed;
      assertEquals(expected, actual, () -> "seed " + s + ", stream:\n" + show(bytes));
    }
  }

  /** Everything the listener and the HTTP client would see: the parts, then the end or the failure. */
  private static String outcome(BiFunction<StreamListener, Redactor, StreamParser> factory, List<byte[]> writes) {
    List<String> seen = new ArrayList<>();
    StreamListener l = new StreamListener() {
      @Override
      public void onText(String text) {
        seen.add("text " + text);
      }

      @Override
      public void onReasoning(String text) {
        seen.add("reasoning " + text);
      }

      @Override
      public void onComplete(FinishReason reason, Usage usage) {
      }

      @Override
      public void onFailure(Failure failure) {
      }
    };
    StreamParser p = factory.apply(l, new Redactor(SECRET));
    try {
      for (byte[] w : writes) {
        p.feed(Buffer.buffer(w));
        if (p.complete()) break;
      }
      if (!p.complete()) p.finish();
      seen.add(p.complete() ? "complete " + p.finishReason() + " " + p.usage() : "cut " + p.usage());
    } catch (StreamFailure f) {
      seen.add("failure " + f.failure());
    } catch (RuntimeException e) { // the client takes anything else a parser throws for a malformed chunk
      seen.add("failure " + StreamFailure.malformed().failure());
    }
    return String.join("\n", seen);
  }

  private static String show(byte[] bytes) {
    StringBuilder b = new StringBuilder(new String(bytes, StandardCharsets.UTF_8));
    for (byte x : bytes) {
      if (x < 0) return b.append("\nhex: ").append(HexFormat.of().formatHex(bytes)).toString();
    }
    return b.toString();
  }

  // ---- the three protocols ----

  private static byte[] openAiBody(Gen g) {
    Sse s = new Sse(g);
    int chunks = g.r.nextInt(6) + 1;
    for (int i = 0; i < chunks; i++) {
      Map<String, Supplier<String>> delta = new LinkedHashMap<>();
      delta.put("role", () -> g.str("assistant"));
      delta.put("content", () -> g.typed(g::text));
      delta.put("reasoning_content", () -> g.typed(g::text));
      delta.put("reasoning", () -> g.typed(g::text));
      delta.put("tool_calls", g::value);
      Map<String, Supplier<String>> choice = new LinkedHashMap<>();
      choice.put("index", () -> "0");
      choice.put("delta", () -> g.typed(() -> g.object(delta)));
      choice.put("finish_reason", () -> g.typed(() -> g.str(g.pick("stop", "length", "content_filter", "tool_calls", "eos"))));
      choice.put("logprobs", g::value);
      Map<String, Supplier<String>> usage = new LinkedHashMap<>();
      usage.put("prompt_tokens", () -> g.typed(g::number));
      usage.put("completion_tokens", () -> g.typed(g::number));
      usage.put("total_tokens", g::number);
      Map<String, Supplier<String>> error = new LinkedHashMap<>();
      error.put("type", () -> g.typed(() -> g.str("invalid_request_error")));
      error.put("message", () -> g.typed(() -> g.str("Bad key " + SECRET + " \\n  spaced\\tout")));
      error.put("code", g::value);
      Map<String, Supplier<String>> chunk = new LinkedHashMap<>();
      chunk.put("id", () -> g.str("chatcmpl-" + g.r.nextInt(1000)));
      chunk.put("object", () -> g.str("chat.completion.chunk"));
      chunk.put("created", () -> "1732874400");
      chunk.put("model", () -> g.str("gpt-4o-mini"));
      chunk.put("choices", () -> g.typed(() -> g.array(() -> g.typed(() -> g.object(choice)))));
      if (g.r.nextInt(4) == 0) chunk.put("usage", () -> g.typed(() -> g.object(usage)));
      if (g.r.nextInt(12) == 0) chunk.put("error", () -> g.r.nextBoolean() ? g.object(error) : g.value());
      s.event(null, g.broken(g.object(chunk)));
    }
    if (g.r.nextInt(3) > 0) s.event(null, g.r.nextInt(8) == 0 ? " [DONE]" : "[DONE]");
    return s.bytes();
  }

  private static byte[] anthropicBody(Gen g) {
    Sse s = new Sse(g);
    int chunks = g.r.nextInt(6) + 1;
    for (int i = 0; i < chunks; i++) {
      String type = g.pick("message_start", "content_block_delta", "content_block_delta", "content_block_delta",
          "message_delta", "message_stop", "ping", "error", "content_block_start");
      Map<String, Supplier<String>> usage = new LinkedHashMap<>();
      usage.put("input_tokens", () -> g.typed(g::number));
      usage.put("output_tokens", () -> g.typed(g::number));
      Map<String, Supplier<String>> message = new LinkedHashMap<>();
      message.put("id", () -> g.str("msg_1"));
      message.put("content", g::value);
      message.put("usage", () -> g.typed(() -> g.object(usage)));
      Map<String, Supplier<String>> delta = new LinkedHashMap<>();
      delta.put("type", () -> g.typed(() -> g.str(g.pick("text_delta", "thinking_delta", "input_json_delta", "signature_delta"))));
      delta.put("text", () -> g.typed(g::text));
      delta.put("thinking", () -> g.typed(g::text));
      delta.put("partial_json", () -> g.typed(g::text));
      delta.put("stop_reason", () -> g.typed(() -> g.str(g.pick("end_turn", "stop_sequence", "max_tokens", "refusal", "tool_use"))));
      Map<String, Supplier<String>> error = new LinkedHashMap<>();
      error.put("type", () -> g.typed(() -> g.str("overloaded_error")));
      error.put("message", () -> g.typed(() -> g.str("Overloaded for " + SECRET)));
      Map<String, Supplier<String>> chunk = new LinkedHashMap<>();
      chunk.put("type", () -> g.typed(() -> g.str(type)));
      chunk.put("index", g::number);
      chunk.put("message", () -> g.typed(() -> g.object(message)));
      chunk.put("delta", () -> g.typed(() -> g.object(delta)));
      chunk.put("usage", () -> g.typed(() -> g.object(usage)));
      chunk.put("error", () -> g.typed(() -> g.object(error)));
      s.event(g.r.nextInt(5) == 0 ? g.pick(type, "ping", "") : type, g.broken(g.object(chunk)));
    }
    return s.bytes();
  }

  private static byte[] ollamaBody(Gen g) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int lines = g.r.nextInt(6) + 1;
    for (int i = 0; i < lines; i++) {
      if (g.r.nextInt(6) == 0) out.writeBytes(g.pick("", "  \t", "\u3000", "\u00a0", "\u2003 ").getBytes(StandardCharsets.UTF_8));
      Map<String, Supplier<String>> message = new LinkedHashMap<>();
      message.put("role", () -> g.str("assistant"));
      message.put("content", () -> g.typed(g::text));
      message.put("thinking", () -> g.typed(g::text));
      message.put("images", g::value);
      Map<String, Supplier<String>> line = new LinkedHashMap<>();
      line.put("model", () -> g.str("llama3.2"));
      line.put("created_at", () -> g.str("2026-11-24T10:00:00Z"));
      line.put("message", () -> g.typed(() -> g.object(message)));
      line.put("done", () -> g.r.nextInt(4) == 0 ? "true" : g.typed(() -> "false"));
      line.put("done_reason", () -> g.typed(() -> g.str(g.pick("stop", "length"))));
      line.put("prompt_eval_count", () -> g.typed(g::number));
      line.put("eval_count", () -> g.typed(g::number));
      if (g.r.nextInt(12) == 0) line.put("error", g::value);
      out.writeBytes(g.broken(g.object(line)).getBytes(StandardCharsets.ISO_8859_1));
      out.writeBytes(g.pick("\n", "\r\n", "\r", "\n\n").getBytes(StandardCharsets.US_ASCII));
    }
    return out.toByteArray();
  }

  // ---- generation ----

  /** An event stream: comments, id and retry lines, a data field over several lines, every line end. */
  private static final class Sse {
    private final Gen g;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Sse(Gen g) {
      this.g = g;
    }

    /** {@code data} is Latin-1 carrying bytes (it may hold bytes that are not UTF-8). */
    void event(String type, String data) {
      if (g.r.nextInt(5) == 0) line(": keep-alive");
      if (type != null) line("event: " + type);
      if (g.r.nextInt(10) == 0) line("id: " + g.r.nextInt(100));
      if (g.r.nextInt(6) == 0 && data.length() > 2) {
        int cut = 1 + g.r.nextInt(data.length() - 1);
        line("data: " + data.substring(0, cut));
        line((g.r.nextBoolean() ? "data:" : "data: ") + data.substring(cut));
      } else {
        line((g.r.nextInt(8) == 0 ? "data:" : "data: ") + data);
      }
      if (g.r.nextInt(15) > 0) line("");
    }

    private void line(String s) {
      out.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
      out.writeBytes(g.pick("\n", "\r\n", "\r").getBytes(StandardCharsets.US_ASCII));
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }

  /** Random JSON, as text whose chars are bytes (Latin-1): UTF-8 already encoded, so bad bytes can be put in too. */
  private static final class Gen {
    final Random r;

    Gen(Random r) {
      this.r = r;
    }

    String pick(String... options) {
      return options[r.nextInt(options.length)];
    }

    /** The field's proper value mostly, sometimes another type. */
    String typed(Supplier<String> proper) {
      return r.nextInt(8) == 0 ? value() : proper.get();
    }

    /** An object with some of the known fields and some unknown ones, in any order, one maybe twice. */
    String object(Map<String, Supplier<String>> fields) {
      List<String[]> members = new ArrayList<>();
      fields.forEach((k, v) -> {
        if (r.nextInt(6) > 0) members.add(new String[] {k, v.get()});
      });
      for (int i = r.nextInt(3); i > 0; i--) members.add(new String[] {pick("x_unknown", "system_fingerprint", "meta"), value()});
      if (!members.isEmpty() && r.nextInt(10) == 0) {
        String k = members.get(r.nextInt(members.size()))[0];
        members.add(new String[] {k, fields.containsKey(k) && r.nextBoolean() ? fields.get(k).get() : value()});
      }
      if (r.nextInt(3) == 0) Collections.shuffle(members, r);
      StringBuilder b = new StringBuilder("{");
      for (int i = 0; i < members.size(); i++) {
        if (i > 0) b.append(',').append(r.nextInt(5) == 0 ? " " : "");
        b.append(name(members.get(i)[0])).append(r.nextInt(5) == 0 ? ": " : ":").append(members.get(i)[1]);
      }
      return b.append('}').toString();
    }

    String array(Supplier<String> element) {
      int n = r.nextInt(10) == 0 ? 0 : 1 + r.nextInt(2);
      StringBuilder b = new StringBuilder("[");
      for (int i = 0; i < n; i++) b.append(i > 0 ? "," : "").append(i == 0 ? element.get() : value());
      return b.append(']').toString();
    }

    /** Any JSON value, nested up to a few levels. */
    String value() {
      return value(0);
    }

    private String value(int depth) {
      switch (r.nextInt(depth >= 2 ? 5 : 7)) {
        case 0: return number();
        case 1: return text();
        case 2: return pick("true", "false");
        case 3: return "null";
        case 4: return str("1" + r.nextInt(100)); // a number as a string
        case 5: {
          StringBuilder b = new StringBuilder("{");
          for (int i = r.nextInt(3); i > 0; i--) b.append(b.length() > 1 ? "," : "").append(name(pick("a", "b", "content", "error"))).append(':').append(value(depth + 1));
          return b.append('}').toString();
        }
        default: {
          StringBuilder b = new StringBuilder("[");
          for (int i = r.nextInt(3); i > 0; i--) b.append(b.length() > 1 ? "," : "").append(value(depth + 1));
          return b.append(']').toString();
        }
      }
    }

    String number() {
      return pick("0", "12", "-3", "9", "2147483648", "99999999999999999999", "1.5", "12.0", "1e2", "-0.0", "1E400", "3.7e-5");
    }

    /** A JSON string of answer text: escapes, surrogate pairs (escaped or raw), empty sometimes. */
    String text() {
      StringBuilder b = new StringBuilder();
      for (int i = r.nextInt(4); i >= 0; i--) {
        b.append(pick("Hello", " w", "ö", "🙂", "中文", "\\n", "\\\"", "\\\\", "\\u00e9", "\\ud83d\\ude42", "\\ud800",
            "\\/", "\\t", " ", "", "<b>", "&amp;", "\\u0000", "é"));
      }
      return str(b.toString());
    }

    /** A string literal; its content is taken as written (escapes included), encoded as UTF-8. */
    String str(String content) {
      return "\"" + utf8(content) + "\"";
    }

    private String name(String n) {
      return r.nextInt(30) == 0 ? "\"" + n.charAt(0) + "\\u00" + Integer.toHexString(n.length() > 1 ? n.charAt(1) : 'x') + n.substring(Math.min(2, n.length())) + "\"" : "\"" + n + "\"";
    }

    /** Mostly the chunk as it is; sometimes cut short, followed by more, or holding bytes that are not UTF-8. */
    String broken(String json) {
      switch (r.nextInt(80)) {
        case 0: return json.substring(0, r.nextInt(json.length()));
        case 1: return json + pick(" ", "}", "{}", "x", " \t");
        case 2: {
          int at = json.indexOf('"') + 1;
          return at == 0 ? json : json.substring(0, at) + pick("\u00ff", "\u00c3", "\u00e2\u0082", "\u00c0\u0080", "\u00ed\u00a0\u0080", "\u00f4\u0090\u0080\u0080") + json.substring(at);
        }
        case 3: return "";
        case 4: return pick("[]", "null", "\"x\"", "12", "[{}]", "{}");
        default: return json;
      }
    }

    private static String utf8(String s) {
      return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    /** Cuts a body into network writes at random places (sometimes one byte each, sometimes whole). */
    List<byte[]> split(byte[] body) {
      List<byte[]> writes = new ArrayList<>();
      int mode = r.nextInt(4);
      int from = 0;
      while (from < body.length) {
        int n = mode == 0 ? body.length : mode == 1 ? 1 : 1 + r.nextInt(40);
        writes.add(Arrays.copyOfRange(body, from, Math.min(body.length, from + n)));
        from += n;
      }
      if (r.nextInt(10) == 0) writes.add(new byte[0]);
      return writes;
    }
  }
}
