package dev.streamchat.stream;

import io.vertx.core.json.JsonObject;

/** What the worker publishes to a generation's viewers: a chunk, or the end. */
public final class LiveEvent {

  private LiveEvent() {
  }

  static JsonObject chunk(Chunk c) {
    return new JsonObject().put("seq", c.seq())
        .put("kind", c.kind() == Chunk.Kind.TEXT ? "text" : "reasoning").put("text", c.text());
  }

  static JsonObject end(GenerationLog log) {
    return new JsonObject().put("end", true).put("state", log.state().wire()).put("chunks", log.lastSeq());
  }

  public static boolean isEnd(JsonObject event) {
    return event.getBoolean("end", false);
  }

  /** The chunk an event carries; only for events that are not the end. */
  public static Chunk toChunk(JsonObject event) {
    return new Chunk(event.getLong("seq"),
        "text".equals(event.getString("kind")) ? Chunk.Kind.TEXT : Chunk.Kind.REASONING,
        event.getString("text"));
  }
}
