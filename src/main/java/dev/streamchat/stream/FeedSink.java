package dev.streamchat.stream;

import io.vertx.core.buffer.Buffer;

/**
 * One viewer's transport as a feed sees it: SSE today, WebSocket later. Its methods are called on
 * the viewer's event loop only; after the sink is closed they may still be called and do nothing.
 */
public interface FeedSink {

  /** True while the transport holds more unsent bytes than it wants; the feed then waits for {@link #onDrain}. */
  boolean writeQueueFull();

  /** Runs {@code then} once, when the transport has room again. */
  void onDrain(Runnable then);

  /**
   * Called once, before any event is written: the feed has checked the cursor against the log and
   * sends what follows chunk {@code cursor} (a cursor beyond the log is taken as its last chunk, so
   * this may be lower than the one asked for). A feed cut before that ends the sink without it.
   */
  default void started(long cursor) {
  }

  /** Writes an event that carries the chunks up to {@code lastSeq} (0: an event about no chunk). */
  void write(Buffer event, long lastSeq);

  /** Writes the last event and ends the transport. */
  void end(Buffer lastEvent);
}
