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
 * Ollama's {@code /api/chat} stream: one JSON object per line with {@code message.content} and
 * {@code message.thinking}; the last has {@code done: true} and the eval counts; a line
 * {"error": "..."} is an error reported mid-stream.
 */
public final class LegacyOllamaStreamParser implements StreamParser {

  private static final int MAX_LINE_BYTES = 4 * 1024 * 1024;

  private final StreamListener listener;
  private final Redactor redactor;
  private final LegacyLineSplitter lines;
  private boolean done;
  private FinishReason finishReason = FinishReason.STOP;
  private Usage usage = Usage.UNKNOWN;

  public LegacyOllamaStreamParser(StreamListener listener, Redactor redactor) {
    this.listener = listener;
    this.redactor = redactor;
    this.lines = new LegacyLineSplitter(MAX_LINE_BYTES, this::line);
  }

  @Override
  public void feed(Buffer bytes) {
    if (!done) lines.feed(bytes);
  }

  @Override
  public void finish() {
    if (!done) lines.finish();
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
    return usage;
  }

  private void line(String line) {
    if (done || line.isBlank()) return;
    JsonObject o = StreamFailure.parseObject(line);
    if (o.getValue("error") != null) {
      throw UpstreamErrors.reported(null, String.valueOf(o.getValue("error")), redactor);
    }
    if (o.getValue("message") instanceof JsonObject m) {
      if (m.getValue("thinking") instanceof String t && !t.isEmpty()) listener.onReasoning(t);
      if (m.getValue("content") instanceof String c && !c.isEmpty()) listener.onText(c);
    }
    if (Boolean.TRUE.equals(o.getValue("done"))) {
      usage = new Usage(number(o, "prompt_eval_count"), number(o, "eval_count"));
      if ("length".equals(o.getValue("done_reason"))) finishReason = FinishReason.LENGTH;
      done = true;
    }
  }

  private static long number(JsonObject o, String key) {
    return o.getValue(key) instanceof Number n ? n.longValue() : -1;
  }
}
