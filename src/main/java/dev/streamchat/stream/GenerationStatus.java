package dev.streamchat.stream;

import dev.streamchat.model.FinishReason;
import dev.streamchat.model.Usage;

/**
 * Where a generation stands, as a value: what it is, how many chunks it has, and how it ended
 * (null while it runs). Read from the stream store; nobody holds a live object.
 *
 * @param firstChunkAt epoch milliseconds of the first chunk, 0 before it
 * @param lastChunkAt epoch milliseconds of the last chunk, 0 before the first
 */
public record GenerationStatus(GenerationInfo info, long lastSeq, long firstChunkAt, long lastChunkAt,
    GenerationEnd end) {

  public String id() {
    return info.id();
  }

  public GenerationState state() {
    return end == null ? GenerationState.RUNNING : end.state();
  }

  public boolean ended() {
    return end != null;
  }

  public String error() {
    return end == null ? null : end.error();
  }

  public long endedAt() {
    return end == null ? 0 : end.endedAt();
  }

  /** Why a done answer ended; null while running or for any other final state. */
  public FinishReason finishReason() {
    return end == null ? null : end.finishReason();
  }

  public Usage usage() {
    return end == null ? Usage.UNKNOWN : end.usage();
  }

  /** Tokens of the answer: as the model counted them, else one per chunk. */
  public long completionTokens() {
    long reported = usage().completionTokens();
    return reported >= 0 ? reported : lastSeq;
  }

  /** Milliseconds from start to the first chunk, or -1 before it. */
  public long ttftMs() {
    return firstChunkAt == 0 ? -1 : Math.max(0, firstChunkAt - info.startedAt());
  }

  /** Chunks per second since the first chunk (a chunk is about one token). */
  public double tokensPerSecond() {
    if (firstChunkAt == 0 || lastSeq < 2) return 0;
    long until = end != null ? end.endedAt() : System.currentTimeMillis();
    double seconds = Math.max(1, until - firstChunkAt) / 1000.0;
    return (lastSeq - 1) / seconds;
  }
}
