package dev.streamchat.model.openai;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.streamchat.model.FinishReason;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.Usage;
import dev.streamchat.model.http.ChunkJson;
import dev.streamchat.model.http.LineSplitter;
import dev.streamchat.model.http.Redactor;
import dev.streamchat.model.http.SseDecoder;
import dev.streamchat.model.http.StreamFailure;
import dev.streamchat.model.http.StreamParser;
import dev.streamchat.model.http.UpstreamErrors;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The server-sent events of {@code POST /chat/completions} with {@code stream: true}: each
 * {@code data} is a chunk whose {@code choices[0].delta} carries {@code content} and (vLLM,
 * llama.cpp, DeepSeek) {@code reasoning_content}; a last chunk carries {@code usage}; {@code [DONE]}
 * ends it. A {@code data} {"error": ...} is an error reported mid-stream.
 *
 * <p>A chunk is read whole before anything in it is acted on (an error anywhere in it wins over
 * its text; a malformed end voids it all), and where a field comes twice the last one counts.
 */
public final class OpenAiStreamParser implements StreamParser {

  private static final int MAX_LINE_BYTES = 4 * 1024 * 1024;
  private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

  private final StreamListener listener;
  private final Redactor redactor;
  private final LineSplitter lines;
  /** Reads a chunk's top-level fields (one reader per stream, not one per chunk). */
  private final ChunkJson.FieldReader topLevel = this::topLevelField;
  private final SseDecoder events;
  private boolean done;
  private FinishReason finishReason;
  private Usage usage = Usage.UNKNOWN;

  /** What the chunk being read says; set afresh for each chunk (and for each repeat of a field). */
  private boolean error;
  private boolean errorPrintedByTree;
  private String errorType;
  private String errorMessage;
  private boolean choice;
  private boolean choiceNotObject;
  private String reasoningContent;
  private String reasoning;
  private String content;
  private String why;
  private boolean hasUsage;
  private long promptTokens;
  private long completionTokens;

  public OpenAiStreamParser(StreamListener listener, Redactor redactor) {
    this.listener = listener;
    this.redactor = redactor;
    this.events = new SseDecoder(this::event);
    this.lines = new LineSplitter(MAX_LINE_BYTES, events);
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

  private void event(String type, byte[] data, int length) {
    if (done) return;
    if (Arrays.equals(data, 0, length, DONE, 0, DONE.length)) {
      done = true;
      return;
    }
    read(data, length);
    if (error) {
      String message = errorPrintedByTree ? ChunkJson.printed(data, 0, length, "error") : errorMessage;
      throw UpstreamErrors.reported(errorType, message, redactor);
    }
    if (choice) {
      if (choiceNotObject) throw StreamFailure.malformed();
      String thought = reasoningContent != null ? reasoningContent : reasoning;
      if (thought != null && !thought.isEmpty()) listener.onReasoning(thought);
      if (content != null && !content.isEmpty()) listener.onText(content);
      if (why != null) {
        finishReason = switch (why) {
          case "stop" -> FinishReason.STOP;
          case "length" -> FinishReason.LENGTH;
          case "content_filter" -> FinishReason.CONTENT_FILTER;
          default -> FinishReason.OTHER;
        };
      }
    }
    if (hasUsage) usage = new Usage(promptTokens, completionTokens);
  }

  private void read(byte[] data, int length) {
    error = false;
    choice = false;
    hasUsage = false;
    ChunkJson.read(data, 0, length, topLevel);
  }

  /** One field of the chunk's top-level object. */
  private void topLevelField(String field, JsonParser p) throws IOException {
    switch (field) {
      case "error" -> readError(p);
      case "choices" -> readChoices(p);
      case "usage" -> readUsage(p);
      default -> p.skipChildren();
    }
  }

  private void readError(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    error = t != JsonToken.VALUE_NULL;
    errorPrintedByTree = false;
    errorType = null;
    errorMessage = null;
    if (t == JsonToken.START_OBJECT) {
      for (String field; (field = ChunkJson.nextField(p)) != null; ) {
        switch (field) {
          case "type" -> errorType = ChunkJson.string(p);
          case "message" -> errorMessage = ChunkJson.string(p);
          default -> p.skipChildren();
        }
      }
    } else if (t == JsonToken.VALUE_STRING) {
      errorMessage = p.getText();
    } else {
      errorPrintedByTree = error; // a number, a boolean or a list: printed as the tree prints it
      p.skipChildren();
    }
  }

  /** Only the first choice counts; it must be an object. */
  private void readChoices(JsonParser p) throws IOException {
    choice = false;
    if (p.currentToken() != JsonToken.START_ARRAY) {
      p.skipChildren();
      return;
    }
    if (p.nextToken() == JsonToken.END_ARRAY) return;
    choice = true;
    choiceNotObject = p.currentToken() != JsonToken.START_OBJECT;
    reasoningContent = null;
    reasoning = null;
    content = null;
    why = null;
    if (choiceNotObject) p.skipChildren();
    else readChoice(p);
    while (p.nextToken() != JsonToken.END_ARRAY) p.skipChildren();
  }

  private void readChoice(JsonParser p) throws IOException {
    for (String field; (field = ChunkJson.nextField(p)) != null; ) {
      switch (field) {
        case "delta" -> readDelta(p);
        case "finish_reason" -> why = ChunkJson.string(p);
        default -> p.skipChildren();
      }
    }
  }

  private void readDelta(JsonParser p) throws IOException {
    reasoningContent = null;
    reasoning = null;
    content = null;
    if (!ChunkJson.isObject(p)) return;
    for (String field; (field = ChunkJson.nextField(p)) != null; ) {
      switch (field) {
        case "reasoning_content" -> reasoningContent = ChunkJson.string(p);
        case "reasoning" -> reasoning = ChunkJson.string(p);
        case "content" -> content = ChunkJson.string(p);
        default -> p.skipChildren();
      }
    }
  }

  private void readUsage(JsonParser p) throws IOException {
    hasUsage = ChunkJson.isObject(p);
    promptTokens = -1;
    completionTokens = -1;
    if (!hasUsage) return;
    for (String field; (field = ChunkJson.nextField(p)) != null; ) {
      switch (field) {
        case "prompt_tokens" -> promptTokens = ChunkJson.number(p, -1);
        case "completion_tokens" -> completionTokens = ChunkJson.number(p, -1);
        default -> p.skipChildren();
      }
    }
  }
}
