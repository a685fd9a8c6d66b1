package dev.streamchat.model.http;

import dev.streamchat.model.FinishReason;
import dev.streamchat.model.Usage;
import io.vertx.core.buffer.Buffer;

/**
 * Turns one provider's response body, as its bytes arrive, into calls on a
 * {@link dev.streamchat.model.StreamListener} (text and reasoning; the end is the client's). Throws {@link StreamFailure} when the stream is
 * malformed or reports an error of its own.
 */
public interface StreamParser {

  void feed(Buffer bytes);

  /** The body ended; delivers anything still held. */
  void finish();

  /** True once the stream said the answer is complete ({@code [DONE]}, {@code done}, {@code message_stop}). */
  boolean complete();

  /** Why the answer ended, as far as the stream said (STOP when it did not say). */
  FinishReason finishReason();

  /** The token counts the stream reported so far. */
  Usage usage();
}
