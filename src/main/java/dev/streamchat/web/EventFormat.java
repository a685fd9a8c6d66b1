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
 * ({@code responseFormat}) has a view of its own, per transport, that also sends {@code json}
 * events: the value parsed so far, when it changed (coalesced), the current one first on a resume,
 * the whole one last; its {@code end} carries {@code "json"} when the answer is valid. Every view
 * sends {@code held} (whether filters hold text back now; never the text) as it happens.
 */
final class EventFormat {

  private EventFormat() {
  }

  static final FeedView JSON = new FeedView() {
    @Override
    public Rendering open(Prefix prefix) {
      return new Rendering() {
        @Override
        public Buffer next(Delta d) {
          return Buffer.buffer(Sse.event("chunk", d.lastSeq(), chunkData(d).encode()));
        }

        @Override
        public Buffer end(GenerationStatus s) {
          return Buffer.buffer(Sse.event("end", 0, endData(s).encode()));
        }
      };
    }

    @Override
    public Buffer held(String generationId, boolean holding) {
      return heldEvent(holding);
    }
  };

  /**
   * The same events as WebSocket messages (GET /api/ws): one JSON object each, the SSE event's
   * data plus {@code gid} and {@code event}, since one socket carries many generations.
   */
  static final FeedView WEBSOCKET = new FeedView() {
    @Override
    public Rendering open(Prefix prefix) {
      return new Rendering() {
        @Override
        public Buffer next(Delta d) {
          return message(prefix.generationId(), "chunk", chunkData(d));
        }

        @Override
        public Buffer end(GenerationStatus s) {
          return message(prefix.generationId(), "end", endData(s));
        }
      };
    }

    @Override
    public Buffer held(String generationId, boolean holding) {
      return message(generationId, "held", new JsonObject().put("held", holding));
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

      @Override
      public Buffer held(String generationId, boolean holding) {
        Buffer event = sse.held(generationId, holding);
        return event == null ? null : message(generationId, "held", new JsonObject().put("sse", event.toString()));
      }
    };
  }

  /** {@code event: held} with {@code {"held": true|false}}: whether filters hold text back now; never the text. */
  private static Buffer heldEvent(boolean holding) {
    return Buffer.buffer(Sse.event("held", 0, holding ? "{\"held\":true}" : "{\"held\":false}"));
  }

  private static Buffer message(String gid, String event, JsonObject data) {
    return new JsonObject().put("gid", gid).put("event", event).mergeIn(data).toBuffer();
  }

  private static JsonObject chunkData(Delta d) {
    JsonObject data = new JsonObject().put("seq", d.lastSeq()).put("text", d.text());
    if (!d.reasoning().isEmpty()) data.put("reasoning", d.reasoning());
    return data;
  }

  static final FeedView JSON_ANSWER = jsonAnswer(new Frame() {
    @Override
    public String chunk(String gid, Delta d) {
      return Sse.event("chunk", d.lastSeq(), chunkData(d).encode());
    }

    @Override
    public String json(String gid, long seq, String value) {
      return EventFormat.json(seq, value);
    }

    @Override
    public String end(String gid, JsonObject data) {
      return Sse.event("end", 0, data.encode());
    }

    @Override
    public Buffer held(String gid, boolean holding) {
      return heldEvent(holding);
    }
  });

  /**
   * A JSON answer over the WebSocket: the messages of {@link #WEBSOCKET} plus
   * {@code {"gid", "event": "json", "seq", "value"}}. A step that adds several messages (a chunk
   * and the value) gives them one a line; encoded JSON has no line break, and the socket sends
   * each line as its own message.
   */
  static final FeedView WEBSOCKET_JSON_ANSWER = jsonAnswer(new Frame() {
    @Override
    public String chunk(String gid, Delta d) {
      return message(gid, "chunk", chunkData(d)) + "\n";
    }

    @Override
    public String json(String gid, long seq, String value) {
      return "{\"gid\":" + Json.encode(gid) + ",\"event\":\"json\",\"seq\":" + seq + ",\"value\":" + value + "}\n";
    }

    @Override
    public String end(String gid, JsonObject data) {
      return message(gid, "end", data).toString();
    }

    @Override
    public Buffer held(String gid, boolean holding) {
      return WEBSOCKET.held(gid, holding);
    }
  });

  /** How one transport writes a JSON answer's events. */
  private interface Frame {
    String chunk(String gid, Delta d);

    String json(String gid, long seq, String value);

    String end(String gid, JsonObject data);

    Buffer held(String gid, boolean holding);
  }

  private static FeedView jsonAnswer(Frame frame) {
    return new FeedView() {
      @Override
      public boolean needsPrefix() {
        return true;
      }

      @Override
      public Rendering open(Prefix prefix) {
        JsonUpdates updates = new JsonUpdates(prefix.text());
        String gid = prefix.generationId();
        return new Rendering() {
          private long seq = prefix.seq();
          /** A viewer resuming after chunk N is sent the value of chunks 1..N before anything else. */
          private boolean resumed = prefix.seq() > 0;

          @Override
          public Buffer next(Delta d) {
            StringBuilder out = new StringBuilder();
            resume(out);
            out.append(frame.chunk(gid, d));
            seq = d.lastSeq();
            String value = updates.next(d.text());
            if (value != null) out.append(frame.json(gid, seq, value));
            return Buffer.buffer(out.toString());
          }

          @Override
          public Buffer end(GenerationStatus s) {
            StringBuilder out = new StringBuilder();
            resume(out);
            String value = updates.last();
            if (value != null) out.append(frame.json(gid, s.lastSeq(), value));
            JsonObject data = endData(s);
            if (s.state() == GenerationState.DONE && updates.result() != null) {
              data.put("json", Json.decodeValue(updates.result().toString()));
            }
            return Buffer.buffer(out.append(frame.end(gid, data)).toString());
          }

          private void resume(StringBuilder out) {
            if (!resumed) return;
            resumed = false;
            String value = updates.current();
            if (value != null) out.append(frame.json(gid, seq, value));
          }
        };
      }

      @Override
      public Buffer held(String generationId, boolean holding) {
        return frame.held(generationId, holding);
      }
    };
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
