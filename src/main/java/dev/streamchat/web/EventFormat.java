package dev.streamchat.web;

import dev.streamchat.stream.Delta;
import dev.streamchat.stream.FeedView;
import dev.streamchat.stream.GenerationStatus;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/** The API's events of shared/API.md: each delta on its own, so no prefix is needed. */
final class EventFormat {

  private EventFormat() {
  }

  static final FeedView JSON = prefix -> new FeedView.Rendering() {
    @Override
    public Buffer next(Delta d) {
      JsonObject data = new JsonObject().put("seq", d.lastSeq()).put("text", d.text());
      if (!d.reasoning().isEmpty()) data.put("reasoning", d.reasoning());
      return Buffer.buffer(Sse.event("chunk", d.lastSeq(), data.encode()));
    }

    @Override
    public Buffer end(GenerationStatus s) {
      JsonObject data = new JsonObject().put("state", s.state().wire()).put("chunks", s.lastSeq()).put("error", s.error());
      if (s.finishReason() != null) data.put("finishReason", s.finishReason().wire());
      return Buffer.buffer(Sse.event("end", 0, data.encode()));
    }
  };
}
