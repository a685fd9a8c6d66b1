package dev.streamchat.model.ollama;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.streamchat.model.FinishReason;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.Usage;
import dev.streamchat.model.http.ChunkJson;
import dev.streamchat.model.http.LineSplitter;
import dev.streamchat.model.http.Redactor;
import dev.streamchat.model.http.StreamParser;
import dev.streamchat.model.http.UpstreamErrors;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Ollama's {@code /api/chat} stream: one JSON object per line with {@code message.content} and
 * {@code message.thinking}; the last has {@code done: true} and the eval counts; a line
 * {"error": "..."} is an error reported mid-stream. A line is read whole before it is acted on;
 * where a field comes twice the last one counts.
 */
public final class OllamaStreamParser implements StreamParser {

  private static final int MAX_LINE_BYTES = 4 * 1024 * 1024;

  private final StreamListener listener;
  private final Redactor redactor;
  private final LineSplitter lines;
  /** Reads a chunk's top-level fields (one reader per stream, not one per chunk). */
  private final ChunkJson.FieldReader topLevel = this::topLevelField;
  private boolean done;
  private FinishReason finishReason = FinishReason.STOP;
  private Usage usage = Usage.UNKNOWN;

  /** What the line being read says; set afresh for each line (and for each repeat of a field). */
  private boolean error;
  private boolean errorPrintedByTree;
  private String errorMessage;
  private String thinking;
  private String content;
  private boolean chunkDone;
  private String doneReason;
  private long promptEvalCount;
  private long evalCount;

  public OllamaStreamParser(StreamListener listener, Redactor redactor) {
    this.listener = listener;
    this.redactor = redactor;
    this.lines = new LineSplitter(MAX_LINE_BYTES, this::line);
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

  private void line(byte[] bytes, int offset, int length) {
    if (done || blank(bytes, offset, length)) return;
    read(bytes, offset, length);
    if (error) {
      throw UpstreamErrors.reported(null, errorPrintedByTree ? ChunkJson.printed(bytes, offset, length, "error") : errorMessage, redactor);
    }
    if (thinking != null && !thinking.isEmpty()) listener.onReasoning(thinking);
    if (content != null && !content.isEmpty()) listener.onText(content);
    if (chunkDone) {
      usage = new Usage(promptEvalCount, evalCount);
      if ("length".equals(doneReason)) finishReason = FinishReason.LENGTH;
      done = true;
    }
  }

  private void read(byte[] bytes, int offset, int length) {
    error = false;
    thinking = null;
    content = null;
    chunkDone = false;
    doneReason = null;
    promptEvalCount = -1;
    evalCount = -1;
    ChunkJson.read(bytes, offset, length, topLevel);
  }

  /** One field of the chunk's top-level object. */
  private void topLevelField(String field, JsonParser p) throws IOException {
    switch (field) {
      case "error" -> readError(p);
      case "message" -> readMessage(p);
      case "done" -> {
        chunkDone = p.currentToken() == JsonToken.VALUE_TRUE;
        p.skipChildren();
      }
      case "done_reason" -> doneReason = ChunkJson.string(p);
      case "prompt_eval_count" -> promptEvalCount = ChunkJson.number(p, -1);
      case "eval_count" -> evalCount = ChunkJson.number(p, -1);
      default -> p.skipChildren();
    }
  }

  private void readError(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    error = t != JsonToken.VALUE_NULL;
    errorMessage = t == JsonToken.VALUE_STRING ? p.getText() : null;
    errorPrintedByTree = error && t != JsonToken.VALUE_STRING; // a number, an object or a list: printed as the tree prints it
    p.skipChildren();
  }

  private void readMessage(JsonParser p) throws IOException {
    thinking = null;
    content = null;
    if (!ChunkJson.isObject(p)) return;
    for (String field; (field = ChunkJson.nextField(p)) != null; ) {
      switch (field) {
        case "thinking" -> thinking = ChunkJson.string(p);
        case "content" -> content = ChunkJson.string(p);
        default -> p.skipChildren();
      }
    }
  }

  /** As {@link String#isBlank()} says of the line's text. */
  private static boolean blank(byte[] bytes, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      byte b = bytes[i];
      if (b < 0) return new String(bytes, offset, length, StandardCharsets.UTF_8).isBlank();
      if (!Character.isWhitespace(b)) return false;
    }
    return true;
  }
}
