package dev.streamchat.web;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;

/**
 * Stamps a page's event stream with the server's clock: an {@code event: clock} whose data is the
 * time it was written (ms), every {@value #EVERY_MS} ms for the first {@value #WINDOW_MS} ms of
 * the connection. The page compares these times with when they arrive: events written hundreds of
 * ms apart that arrive together, or none arriving at all, mean something on the way buffers the
 * stream (webroot/live.js). Programs' JSON streams are not stamped.
 */
final class StreamClock {

  static final long EVERY_MS = 500;
  static final long WINDOW_MS = 10_000;

  private StreamClock() {
  }

  /** Starts stamping a response that is an open event stream; does nothing to any other response. */
  static void stamp(Vertx vertx, HttpServerResponse response) {
    if (!response.headWritten() || response.ended()
        || !String.valueOf(response.headers().get("Content-Type")).startsWith("text/event-stream")) {
      return;
    }
    long until = System.currentTimeMillis() + WINDOW_MS;
    vertx.setPeriodic(0, EVERY_MS, timer -> {
      long now = System.currentTimeMillis();
      if (response.ended() || response.closed() || now > until) {
        vertx.cancelTimer(timer);
      } else if (!response.writeQueueFull()) {
        response.write(Sse.event("clock", 0, Long.toString(now)));
      }
    });
  }
}
