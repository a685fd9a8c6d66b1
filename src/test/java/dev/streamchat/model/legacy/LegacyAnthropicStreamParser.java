package dev.streamchat.model.legacy;

import dev.streamchat.model.FinishReason;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.Usage;
import dev.streamchat.model.http.Redactor;
import dev.streamchat.model.http.StreamFailure;
import dev.streamchat.model.http.StreamParser;
import dev.streamchat.model.http.UpstreamErrors;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * The server-sent events of Anthropic's {@code POST /v1/messages} with {@code stream: true}:
 * {@code message_start} (input tokens), {@code content_block_delta} with {@code text_delta} or
 * {@code thinking_delta} or {@code input_json_delta} (a forced tool's input: a JSON answer), {@code message_delta} (output tokens, stop_reason), {@code message_stop};
 * {@code ping} is skipped and {@code error} (e.g. {@code overloaded_error}) fails the stream.
 */
public final class LegacyAnthropicStreamParser implements StreamParser {

  private static final int MAX_LINE_BYTES = 4 * 1024 * 1024;

  private final StreamListener listener;
  private final Redactor redactor;
  private final LegacyLineSplitter lines;
  private final LegacySseDecoder events;
  private boolean done;
  private long inputTokens = -1;
  private long outputTokens = -1;
  private FinishReason finishReason = FinishReason.STOP;

  public LegacyAnthropicStreamParser(StreamListener listener, Redactor redactor) {
    this.listener = listener;
    this.redactor = redactor;
    this.events = new LegacySseDecoder(this::event);
    this.lines = new LegacyLineSplitter(MAX_LINE_BYTES, events::line);
  }

  @Override
  public void feed(Buffer bytes) {
    if (!done) lines.feed(bytes);
  }

  @Override
  public void finish() {
    if (done) return;
    lines.finish();
    events.finish();
  }

  @Override
  public boolean complete() {
    return done;
  }

  @Override
  public FinishReason finishReason() {
    return finishReason;
  }

  @Override
  public Usage usage() {
    return new Usage(inputTokens, outputTokens);
  }

  private void event(String type, String data) {
    if (done) return;
    JsonObject o = StreamFailure.parseObject(data);
    // The data's own type is authoritative; the event line repeats it.
    String kind = o.getValue("type") instanceof String t ? t : type;
    switch (kind) {
      case "message_start" -> {
        if (o.getValue("message") instanceof JsonObject m && m.getValue("usage") instanceof JsonObject u) {
          inputTokens = number(u, "input_tokens", inputTokens);
          outputTokens = number(u, "output_tokens", outputTokens);
        }
      }
      case "content_block_delta" -> {
        if (!(o.getValue("delta") instanceof JsonObject d)) throw StreamFailure.malformed();
        String deltaType = d.getValue("type") instanceof String t ? t : "";
        if (deltaType.equals("text_delta") && d.getValue("text") instanceof String text) {
          if (!text.isEmpty()) listener.onText(text);
        } else if (deltaType.equals("thinking_delta") && d.getValue("thinking") instanceof String thinking) {
          if (!thinking.isEmpty()) listener.onReasoning(thinking);
        } else if (deltaType.equals("input_json_delta") && d.getValue("partial_json") instanceof String json) {
          if (!json.isEmpty()) listener.onText(json); // the JSON answer, asked for as a forced tool call
        }
      }
      case "message_delta" -> {
        if (o.getValue("delta") instanceof JsonObject d && d.getValue("stop_reason") instanceof String why) {
          finishReason = switch (why) {
            case "end_turn", "stop_sequence" -> FinishReason.STOP;
            case "max_tokens" -> FinishReason.LENGTH;
            case "refusal" -> FinishReason.CONTENT_FILTER;
            default -> FinishReason.OTHER;
          };
        }
        if (o.getValue("usage") instanceof JsonObject u) {
          inputTokens = number(u, "input_tokens", inputTokens);
          outputTokens = number(u, "output_tokens", outputTokens);
        }
      }
      case "message_stop" -> done = true;
      case "error" -> {
        JsonObject err = o.getValue("error") instanceof JsonObject e ? e : new JsonObject();
        String errType = err.getValue("type") instanceof String t ? t : null;
        String message = err.getValue("message") instanceof String m ? m : null;
        throw UpstreamErrors.reported(errType,
            errType != null && message != null ? errType + " (" + message + ")" : message, redactor);
      }
      default -> { } // ping, content_block_start/stop, and event types added later
    }
  }

  private static long number(JsonObject o, String key, long fallback) {
    return o.getValue(key) instanceof Number n ? n.longValue() : fallback;
  }
}
