package dev.streamchat.web;

import dev.streamchat.stream.Delta;
import dev.streamchat.stream.FeedView;
import dev.streamchat.json.JsonUpdates;
import dev.streamchat.stream.GenerationState;
import dev.streamchat.stream.GenerationStatus;
import io.vertx.core.json.Json;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * The API's events of shared/API.md, over SSE and WebSocket: each delta on its own, so no prefix is needed. A JSON answer
 * ({@code responseFormat}) has a view of its own that also sends {@code json} events: the value
 * parsed so far, when it changed (coalesced), the current one first on a resume, the whole one
 * last; its {@code end} carries {@code "json"} when the answer is valid.
 */
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

  static final FeedView JSON_ANSWER = new FeedView() {
    @Override
    public boolean needsPrefix() {
      return true;
    }

    @Override
    public Rendering open(Prefix prefix) {
      JsonUpdates updates = new JsonUpdates(prefix.text());
      return new Rendering() {
        private long seq = prefix.seq();
        /** A viewer resuming after chunk N is sent the value of chunks 1..N before anything else. */
        private boolean resumed = prefix.seq() > 0;

        @Override
        public Buffer next(Delta d) {
          StringBuilder out = new StringBuilder();
          resume(out);
          out.append(chunk(d));
          seq = d.lastSeq();
          String value = updates.next(d.text());
          if (value != null) out.append(json(seq, value));
          return Buffer.buffer(out.toString());
        }

        @Override
        public Buffer end(GenerationStatus s) {
          StringBuilder out = new StringBuilder();
          resume(out);
          String value = updates.last();
          if (value != null) out.append(json(s.lastSeq(), value));
          JsonObject data = endData(s);
          if (s.state() == GenerationState.DONE && updates.result() != null) {
            data.put("json", Json.decodeValue(updates.result().toString()));
          }
          return Buffer.buffer(out.append(Sse.event("end", 0, data.encode())).toString());
        }

        private void resume(StringBuilder out) {
          if (!resumed) return;
          resumed = false;
          String value = updates.current();
          if (value != null) out.append(json(seq, value));
        }
      };
    }
  };

  private static String chunk(Delta d) {
    return Sse.event("chunk", d.lastSeq(), chunkData(d).encode());
  }

  private static JsonObject endData(GenerationStatus s) {
    JsonObject data = new JsonObject().put("state", s.state().wire()).put("chunks", s.lastSeq()).put("error", s.error());
    if (s.finishReason() != null) data.put("finishReason", s.finishReason().wire());
    return data;
  }

  /** {@code event: json} with {@code {"seq": N, "value": ...}}; no id: resume points are the chunks'. */
  private static String json(long seq, String value) {
    return Sse.event("json", 0, "{\"seq\":" + seq + ",\"value\":" + value + "}");
  }
}
