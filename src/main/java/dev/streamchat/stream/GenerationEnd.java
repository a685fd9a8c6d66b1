package dev.streamchat.stream;

import dev.streamchat.model.FinishReason;
import dev.streamchat.model.Usage;

/**
 * How a generation ended, as its end record keeps it.
 *
 * @param state a final state
 * @param error the message shown to a person when {@code state} is failed or interrupted, else null
 * @param finishReason why a {@code done} answer ended (null for every other state)
 * @param usage token counts as the model reported them ({@link Usage#UNKNOWN} when it did not)
 * @param endedAt epoch milliseconds
 * @param firstChunkAt epoch milliseconds of the first chunk, 0 when there was none or it is unknown
 */
public record GenerationEnd(GenerationState state, String error, FinishReason finishReason, Usage usage,
    long endedAt, long firstChunkAt) {

  public GenerationEnd {
    if (!state.isFinal()) throw new IllegalArgumentException("an end record needs a final state");
    if (usage == null) usage = Usage.UNKNOWN;
  }
}
