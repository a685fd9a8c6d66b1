package dev.streamchat.model;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Recorded answers in each provider's wire format, byte for byte as the servers send them,
 * with the awkward parts a real network brings: CRLF line ends, comments and pings, a {@code data}
 * field over several lines, and a multi-byte UTF-8 character split across two writes.
 */
public final class WireStreams {

  /** A piece of an answer: reasoning or answer text. */
  public record Piece(boolean reasoning, String text) {
  }

  /** The answer every protocol test sends: reasoning first, then text with 2-, 3- and 4-byte characters. */
  public static final List<Piece> ANSWER = List.of(
      new Piece(true, "The user greets me"), new Piece(true, " — I should greet back 🤔."),
      new Piece(false, "Hello"), new Piece(false, ", wörld"), new Piece(false, " 🙂"),
      new Piece(false, "! Ünïcode"), new Piece(false, " “quotes”"), new Piece(false, " and 中文."),
      new Piece(false, "\nSecond line with <b>tags</b> & ampersands."));

  public static String text(List<Piece> pieces) {
    StringBuilder b = new StringBuilder();
    pieces.stream().filter(p -> !p.reasoning()).forEach(p -> b.append(p.text()));
    return b.toString();
  }

  public static String reasoning(List<Piece> pieces) {
    StringBuilder b = new StringBuilder();
    pieces.stream().filter(Piece::reasoning).forEach(p -> b.append(p.text()));
    return b.toString();
  }

  // ---- OpenAI chat completions (SSE) ----

  public static String openAiChunk(Piece p) {
    JsonObject delta = new JsonObject().put(p.reasoning() ? "reasoning_content" : "content", p.text());
    return new JsonObject().put("id", "chatcmpl-1").put("object", "chat.completion.chunk")
        .put("choices", new JsonArray().add(new JsonObject().put("index", 0).put("delta", delta)
            .putNull("finish_reason"))).encode();
  }

  /** The whole body; {@code complete} false leaves out the end ([DONE]). */
  public static byte[] openAi(List<Piece> pieces, boolean complete) {
    StringBuilder s = new StringBuilder(": OPENROUTER PROCESSING\r\n\r\n");
    s.append("data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\r\n\r\n");
    for (int i = 0; i < pieces.size(); i++) {
      String json = openAiChunk(pieces.get(i));
      if (i == 3) {
        // one event whose data spans two lines (joined by a newline, still valid JSON)
        int cut = json.indexOf("\"choices\"");
        s.append("data: ").append(json, 0, cut).append("\r\ndata: ").append(json.substring(cut)).append("\r\n\r\n");
      } else {
        s.append("data: ").append(json).append(i % 2 == 0 ? "\r\n\r\n" : "\n\n");
      }
    }
    if (complete) {
      s.append("data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\r\n\r\n");
      s.append("data: {\"id\":\"chatcmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":9}}\r\n\r\n");
      s.append("data: [DONE]\r\n\r\n");
    }
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }

  // ---- Ollama /api/chat (NDJSON) ----

  public static String ollamaLine(Piece p) {
    JsonObject message = new JsonObject().put("role", "assistant").put("content", p.reasoning() ? "" : p.text());
    if (p.reasoning()) message.put("thinking", p.text());
    return new JsonObject().put("model", "llama3.2").put("created_at", "2026-11-24T10:00:00Z")
        .put("message", message).put("done", false).encode();
  }

  public static byte[] ollama(List<Piece> pieces, boolean complete) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < pieces.size(); i++) s.append(ollamaLine(pieces.get(i))).append(i % 2 == 0 ? "\r\n" : "\n");
    if (complete) {
      s.append("{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,"
          + "\"done_reason\":\"stop\",\"total_duration\":123,\"prompt_eval_count\":12,\"eval_count\":9}\n");
    }
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }

  // ---- Anthropic Messages (SSE) ----

  public static String anthropicDelta(int index, Piece p) {
    JsonObject delta = p.reasoning() ? new JsonObject().put("type", "thinking_delta").put("thinking", p.text())
        : new JsonObject().put("type", "text_delta").put("text", p.text());
    return new JsonObject().put("type", "content_block_delta").put("index", index).put("delta", delta).encode();
  }

  public static byte[] anthropic(List<Piece> pieces, boolean complete) {
    StringBuilder s = new StringBuilder();
    event(s, "message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"content\":[],\"model\":\"claude-test\",\"stop_reason\":null,"
        + "\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}");
    int index = -1;
    Boolean blockIsThinking = null;
    for (int i = 0; i < pieces.size(); i++) {
      Piece p = pieces.get(i);
      if (blockIsThinking == null || blockIsThinking != p.reasoning()) {
        if (blockIsThinking != null) event(s, "content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" + index + "}");
        index++;
        blockIsThinking = p.reasoning();
        event(s, "content_block_start", "{\"type\":\"content_block_start\",\"index\":" + index
            + ",\"content_block\":" + (p.reasoning() ? "{\"type\":\"thinking\",\"thinking\":\"\"}" : "{\"type\":\"text\",\"text\":\"\"}") + "}");
      }
      if (i == 2) event(s, "ping", "{\"type\": \"ping\"}");
      if (i == 4) {
        String json = anthropicDelta(index, p);
        int cut = json.indexOf("\"delta\"");
        s.append("event: content_block_delta\r\ndata: ").append(json, 0, cut).append("\r\ndata: ")
            .append(json.substring(cut)).append("\r\n\r\n");
      } else {
        event(s, "content_block_delta", anthropicDelta(index, p));
      }
    }
    if (complete) {
      event(s, "content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" + index + "}");
      event(s, "message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
          + "\"usage\":{\"output_tokens\":9}}");
      event(s, "message_stop", "{\"type\":\"message_stop\"}");
    }
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void event(StringBuilder s, String type, String data) {
    s.append("event: ").append(type).append("\r\n").append("data: ").append(data).append("\r\n\r\n");
  }

  // ---- network splits ----

  /**
   * Cuts a body into writes: one cut inside the first 4-byte UTF-8 character (so it travels
   * in two writes), and further cuts every {@code step} bytes.
   */
  public static List<byte[]> splitAcrossWrites(byte[] body, int step) {
    int emoji = -1;
    for (int i = 0; i < body.length; i++) {
      if ((body[i] & 0xF8) == 0xF0) {
        emoji = i;
        break;
      }
    }
    if (emoji < 0) throw new IllegalArgumentException("no 4-byte character to split");
    List<Integer> cuts = new ArrayList<>();
    for (int c = step; c < body.length; c += step) cuts.add(c);
    cuts.add(emoji + 2);
    cuts.sort(Integer::compare);
    List<byte[]> parts = new ArrayList<>();
    int from = 0;
    for (int c : cuts) {
      if (c <= from) continue;
      parts.add(java.util.Arrays.copyOfRange(body, from, c));
      from = c;
    }
    parts.add(java.util.Arrays.copyOfRange(body, from, body.length));
    return parts;
  }

  static byte[] concat(List<byte[]> parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    parts.forEach(out::writeBytes);
    return out.toByteArray();
  }

  private WireStreams() {
  }
}
