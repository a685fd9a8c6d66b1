package dev.streamchat.model.legacy;

import dev.streamchat.model.FinishReason;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.Usage;
import dev.streamchat.model.http.Redactor;
import dev.streamchat.model.http.StreamFailure;
import dev.streamchat.model.http.StreamParser;
import dev.streamchat.model.http.UpstreamErrors;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The server-sent events of {@code POST /chat/completions} with {@code stream: true}: each
 * {@code data} is a chunk whose {@code choices[0].delta} carries {@code content} and (vLLM,
 * llama.cpp, DeepSeek) {@code reasoning_content}; a last chunk carries {@code usage}; {@code [DONE]}
 * ends it. A {@code data} {"error": ...} is an error reported mid-stream.
 */
public final class LegacyOpenAiStreamParser implements StreamParser {

  private static final int MAX_LINE_BYTES = 4 * 1024 * 1024;

  private final StreamListener listener;
  private final Redactor redactor;
  private final LegacyLineSplitter lines;
  private final LegacySseDecoder events;
  private boolean done;
  private FinishReason finishReason;
  private Usage usage = Usage.UNKNOWN;

  public LegacyOpenAiStreamParser(StreamListener listener, Redactor redactor) {
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
    // Some servers end the body after a finish_reason without sending [DONE].
    if (finishReason != null) done = true;
  }

  @Override
  public boolean complete() {
    return done;
  }

  @Override
  public FinishReason finishReason() {
    return finishReason == null ? FinishReason.STOP : finishReason;
  }

  @Override
  public Usage usage() {
    return usage;
  }

  private void event(String type, String data) {
    if (done) return;
    if (data.equals("[DONE]")) {
      done = true;
      return;
    }
    JsonObject chunk = StreamFailure.parseObject(data);
    if (chunk.getValue("error") != null) {
      Object e = chunk.getValue("error");
      JsonObject err = e instanceof JsonObject o ? o : new JsonObject().put("message", String.valueOf(e));
      throw UpstreamErrors.reported(string(err, "type"), string(err, "message"), redactor);
    }
    if (chunk.getValue("choices") instanceof JsonArray choices && !choices.isEmpty()) {
      if (!(choices.getValue(0) instanceof JsonObject choice)) throw StreamFailure.malformed();
      if (choice.getValue("delta") instanceof JsonObject delta) {
        String reasoning = string(delta, "reasoning_content");
        if (reasoning == null) reasoning = string(delta, "reasoning");
        if (reasoning != null && !reasoning.isEmpty()) listener.onReasoning(reasoning);
        String content = string(delta, "content");
        if (content != null && !content.isEmpty()) listener.onText(content);
      }
      String why = string(choice, "finish_reason");
      if (why != null) {
        finishReason = switch (why) {
          case "stop" -> FinishReason.STOP;
          case "length" -> FinishReason.LENGTH;
          case "content_filter" -> FinishReason.CONTENT_FILTER;
          default -> FinishReason.OTHER;
        };
      }
    }
    if (chunk.getValue("usage") instanceof JsonObject usage) {
      this.usage = new Usage(number(usage, "prompt_tokens"), number(usage, "completion_tokens"));
    }
  }

  private static String string(JsonObject o, String key) {
    return o.getValue(key) instanceof String s ? s : null;
  }

  private static long number(JsonObject o, String key) {
    return o.getValue(key) instanceof Number n ? n.longValue() : -1;
  }
}
