package dev.streamchat.stream;

import io.vertx.core.buffer.Buffer;

/**
 * What one kind of viewer is sent of a generation (the API's JSON events, the chat page's HTML),
 * as a function of the log's prefix: the event for chunks N+1..M is what the view of chunks 1..M
 * adds to the view of chunks 1..N. So a resume after chunk N is exact by construction, and a feed
 * renders each live event once per view per event loop, whatever the number of viewers.
 *
 * <p>Sinks whose views are the same object share renderings: keep one instance per kind of view
 * (per event loop if it is not thread-safe).
 */
public interface FeedView {

  /** A rendering of the generation positioned after {@code prefix}. */
  Rendering open(Prefix prefix);

  /**
   * True when rendering needs the text before the cursor (markdown blocks, a partial JSON value):
   * the feed then reads it from the store before opening a rendering after chunk N. False for
   * views that render each delta alone; they get an empty prefix.
   */
  default boolean needsPrefix() {
    return false;
  }

  /**
   * The event saying whether filters hold some of the answer back now ({@code holding}), or null
   * when this view does not show it. It is about no chunk: it carries no id and no text.
   */
  default Buffer held(String generationId, boolean holding) {
    return null;
  }

  /** One position in one generation's view; used on one event loop, never concurrently. */
  interface Rendering {

    /** The event that adds {@code delta} (the chunks right after the current position) to the view; moves past them. */
    Buffer next(Delta delta);

    /** The last event: the end, as {@code status} says, after everything rendered so far. */
    Buffer end(GenerationStatus status);
  }

  /**
   * The generation's text and reasoning in chunks 1..{@code seq} (both empty when the view does
   * not {@link #needsPrefix() need} them).
   */
  record Prefix(String generationId, long seq, String text, String reasoning) {
  }
}
