package dev.streamchat.testing;

import io.vertx.core.json.JsonObject;

/** One server-sent event as received; {@code id} is null when the event had none. */
public record SseEvent(Long id, String event, String data, long receivedAtMillis) {

  public JsonObject json() {
    return new JsonObject(data);
  }

  public boolean isEnd() {
    return "end".equals(event);
  }
}
