package dev.streamchat.web;

import dev.streamchat.stream.Delta;
import dev.streamchat.stream.GenerationLog;
import io.vertx.core.json.JsonObject;

/** How a viewer's events are written: JSON for programs, HTML fragments for the chat page. */
interface EventFormat {

  String chunk(Delta delta);

  String end(GenerationLog log);

  /** The API's events of shared/API.md. */
  EventFormat JSON = new EventFormat() {
    @Override
    public String chunk(Delta d) {
      JsonObject data = new JsonObject().put("seq", d.lastSeq()).put("text", d.text());
      if (!d.reasoning().isEmpty()) data.put("reasoning", d.reasoning());
      return Sse.event("chunk", d.lastSeq(), data.encode());
    }

    @Override
    public String end(GenerationLog log) {
      return Sse.event("end", 0, new JsonObject().put("state", log.state().wire())
          .put("chunks", log.lastSeq()).put("error", log.error()).encode());
    }
  };
}
