package dev.streamchat.model.http;

import io.vertx.core.buffer.Buffer;

/**
 * Turns one provider's response body, as its bytes arrive, into calls on a
 * {@link dev.streamchat.model.StreamListener}. Throws {@link StreamFailure} when the stream is
 * malformed or reports an error of its own.
 */
public interface StreamParser {

  void feed(Buffer bytes);

  /** The body ended; delivers anything still held. */
  void finish();

  /** True once the stream said the answer is complete ({@code [DONE]}, {@code done}, {@code message_stop}). */
  boolean complete();
}
