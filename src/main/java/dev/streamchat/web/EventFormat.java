package dev.streamchat.web;

import dev.streamchat.stream.Delta;
import dev.streamchat.stream.FeedView;
import dev.streamchat.stream.GenerationStatus;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/** The API's events of shared/API.md, over SSE and WebSocket: each delta on its own, so no prefix is needed. */
final class EventFormat {

  private EventFormat() {
  }

  static final FeedView JSON = prefix -> new FeedView.Rendering() {
    @Override
    public Buffer next(Delta d) {
      return Buffer.buffer(Sse.event("chunk", d.lastSeq(), chunkData(d).encode()));
    }

    @Override
    public Buffer end(GenerationStatus s) {
      return Buffer.buffer(Sse.event("end", 0, endData(s).encode()));
    }
  };

  /**
   * The same events as WebSocket messages (GET /api/ws): one JSON object each, the SSE event's
   * data plus {@code gid} and {@code event}, since one socket carries many generations.
   */
  static final FeedView WEBSOCKET = prefix -> new FeedView.Rendering() {
    @Override
    public Buffer next(Delta d) {
      return message(prefix.generationId(), "chunk", chunkData(d));
    }

    @Override
    public Buffer end(GenerationStatus s) {
      return message(prefix.generationId(), "end", endData(s));
    }
  };

  /**
   * A view made for SSE (the chat page's HTML events) carried over a WebSocket: each message is
   * {@code {"gid", "event", "sse"}} with the SSE text of the event, which the page reads as its
   * EventSource would. One wrapper per wrapped view keeps the feed's one-rendering-per-view sharing.
   */
  static FeedView overWebSocket(FeedView sse) {
    return new FeedView() {
      @Override
      public boolean needsPrefix() {
        return sse.needsPrefix();
      }

      @Override
      public Rendering open(Prefix prefix) {
        Rendering inner = sse.open(prefix);
        return new Rendering() {
          @Override
          public Buffer next(Delta d) {
            return message(prefix.generationId(), "chunk", new JsonObject().put("seq", d.lastSeq())
                .put("sse", inner.next(d).toString()));
          }

          @Override
          public Buffer end(GenerationStatus s) {
            return message(prefix.generationId(), "end", new JsonObject().put("sse", inner.end(s).toString()));
          }
        };
      }
    };
  }

  private static Buffer message(String gid, String event, JsonObject data) {
    return new JsonObject().put("gid", gid).put("event", event).mergeIn(data).toBuffer();
  }

  private static JsonObject chunkData(Delta d) {
    JsonObject data = new JsonObject().put("seq", d.lastSeq()).put("text", d.text());
    if (!d.reasoning().isEmpty()) data.put("reasoning", d.reasoning());
    return data;
  }

  private static JsonObject endData(GenerationStatus s) {
    JsonObject data = new JsonObject().put("state", s.state().wire()).put("chunks", s.lastSeq()).put("error", s.error());
    if (s.finishReason() != null) data.put("finishReason", s.finishReason().wire());
    return data;
  }
}
