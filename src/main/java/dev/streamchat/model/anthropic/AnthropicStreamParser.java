package dev.streamchat.model.anthropic;

import com.fasterxml.jackson.core.JsonParser;
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

/**
 * The server-sent events of Anthropic's {@code POST /v1/messages} with {@code stream: true}:
 * {@code message_start} (input tokens), {@code content_block_delta} with {@code text_delta} or
 * {@code thinking_delta} or {@code input_json_delta} (a forced tool's input: a JSON answer), {@code message_delta} (output tokens, stop_reason), {@code message_stop};
 * {@code ping} is skipped and {@code error} (e.g. {@code overloaded_error}) fails the stream.
 * A chunk is read whole before it is acted on; where a field comes twice the last one counts.
 */
public final class AnthropicStreamParser implements StreamParser {

  private static final int MAX_LINE_BYTES = 4 * 1024 * 1024;

  private final StreamListener listener;
  private final Redactor redactor;
  private final LineSplitter lines;
  /** Reads a chunk's top-level fields (one reader per stream, not one per chunk). */
  private final ChunkJson.FieldReader topLevel = this::topLevelField;
  private final SseDecoder events;
  private boolean done;
  private long inputTokens = -1;
  private long outputTokens = -1;
  private FinishReason finishReason = FinishReason.STOP;

  /**
   * What the chunk being read says; set afresh for each chunk (and for each repeat of a field). A
   * token count is null where it was not given as a number: the count then stays as it was.
   */
  private String chunkType;
  private boolean messageUsage;
  private Long messageInputTokens;
  private Long messageOutputTokens;
  private boolean delta;
  private String deltaType;
  private String text;
  private String thinking;
  private String partialJson;
  private String stopReason;
  private boolean usage;
  private Long usageInputTokens;
  private Long usageOutputTokens;
  private String errorType;
  private String errorMessage;

  public AnthropicStreamParser(StreamListener listener, Redactor redactor) {
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

  private void event(String type, byte[] data, int length) {
    if (done) return;
    read(data, length);
    // The data's own type is authoritative; the event line repeats it.
    switch (chunkType != null ? chunkType : type) {
      case "message_start" -> {
        if (messageUsage) {
          if (messageInputTokens != null) inputTokens = messageInputTokens;
          if (messageOutputTokens != null) outputTokens = messageOutputTokens;
        }
      }
      case "content_block_delta" -> {
        if (!delta) throw StreamFailure.malformed();
        String deltaType = this.deltaType != null ? this.deltaType : "";
        if (deltaType.equals("text_delta") && text != null) {
          if (!text.isEmpty()) listener.onText(text);
        } else if (deltaType.equals("thinking_delta") && thinking != null) {
          if (!thinking.isEmpty()) listener.onReasoning(thinking);
        } else if (deltaType.equals("input_json_delta") && partialJson != null) {
          if (!partialJson.isEmpty()) listener.onText(partialJson); // the JSON answer, asked for as a forced tool call
        }
      }
      case "message_delta" -> {
        if (delta && stopReason != null) {
          finishReason = switch (stopReason) {
            case "end_turn", "stop_sequence" -> FinishReason.STOP;
            case "max_tokens" -> FinishReason.LENGTH;
            case "refusal" -> FinishReason.CONTENT_FILTER;
            default -> FinishReason.OTHER;
          };
        }
        if (usage) {
          if (usageInputTokens != null) inputTokens = usageInputTokens;
          if (usageOutputTokens != null) outputTokens = usageOutputTokens;
        }
      }
      case "message_stop" -> done = true;
      case "error" -> throw UpstreamErrors.reported(errorType,
          errorType != null && errorMessage != null ? errorType + " (" + errorMessage + ")" : errorMessage, redactor);
      default -> { } // ping, content_block_start/stop, and event types added later
    }
  }

  private void read(byte[] data, int length) {
    chunkType = null;
    messageUsage = false;
    delta = false;
    usage = false;
    errorType = null;
    errorMessage = null;
    ChunkJson.read(data, 0, length, topLevel);
  }

  /** One field of the chunk's top-level object. */
  private void topLevelField(String field, JsonParser p) throws IOException {
    switch (field) {
      case "type" -> chunkType = ChunkJson.string(p);
      case "message" -> readMessage(p);
      case "delta" -> readDelta(p);
      case "usage" -> {
        usage = ChunkJson.isObject(p);
        usageInputTokens = null;
        usageOutputTokens = null;
        if (usage) readUsage(p, false);
      }
      case "error" -> readError(p);
      default -> p.skipChildren();
    }
  }

  private void readMessage(JsonParser p) throws IOException {
    messageUsage = false;
    if (!ChunkJson.isObject(p)) return;
    for (String field; (field = ChunkJson.nextField(p)) != null; ) {
      if (field.equals("usage")) {
        messageUsage = ChunkJson.isObject(p);
        messageInputTokens = null;
        messageOutputTokens = null;
        if (messageUsage) readUsage(p, true);
      } else {
        p.skipChildren();
      }
    }
  }

  /** Token counts given as numbers; any other value leaves the count as it was. */
  private void readUsage(JsonParser p, boolean ofMessage) throws IOException {
    for (String field; (field = ChunkJson.nextField(p)) != null; ) {
      Long n = p.currentToken().isNumeric() ? p.getNumberValue().longValue() : null;
      p.skipChildren();
      switch (field) {
        case "input_tokens" -> {
          if (ofMessage) messageInputTokens = n;
          else usageInputTokens = n;
        }
        case "output_tokens" -> {
          if (ofMessage) messageOutputTokens = n;
          else usageOutputTokens = n;
        }
        default -> { }
      }
    }
  }

  private void readDelta(JsonParser p) throws IOException {
    delta = ChunkJson.isObject(p);
    deltaType = null;
    text = null;
    thinking = null;
    partialJson = null;
    stopReason = null;
    if (!delta) return;
    for (String field; (field = ChunkJson.nextField(p)) != null; ) {
      switch (field) {
        case "type" -> deltaType = ChunkJson.string(p);
        case "text" -> text = ChunkJson.string(p);
        case "thinking" -> thinking = ChunkJson.string(p);
        case "partial_json" -> partialJson = ChunkJson.string(p);
        case "stop_reason" -> stopReason = ChunkJson.string(p);
        default -> p.skipChildren();
      }
    }
  }

  private void readError(JsonParser p) throws IOException {
    errorType = null;
    errorMessage = null;
    if (!ChunkJson.isObject(p)) return;
    for (String field; (field = ChunkJson.nextField(p)) != null; ) {
      switch (field) {
        case "type" -> errorType = ChunkJson.string(p);
        case "message" -> errorMessage = ChunkJson.string(p);
        default -> p.skipChildren();
      }
    }
  }
}
