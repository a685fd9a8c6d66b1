package dev.streamchat.stream;

import java.util.List;

/**
 * What the worker publishes to a generation's feeds: a batch of consecutive chunks once it is
 * durable, the end with the final status, or (neither) whether filters hold text back now,
 * {@code holding}: a transient signal that is never stored and carries no text. Sent on the local
 * event bus as is (no copy).
 */
public record LiveEvent(List<Chunk> chunks, GenerationStatus end, boolean holding) {

  public LiveEvent(List<Chunk> chunks, GenerationStatus end) {
    this(chunks, end, false);
  }

  static LiveEvent chunks(List<Chunk> chunks) {
    return new LiveEvent(List.copyOf(chunks), null);
  }

  static LiveEvent end(GenerationStatus status) {
    return new LiveEvent(List.of(), status);
  }

  /** Whether filters hold text back now; public for the relay of another instance's (it carries no text). */
  public static LiveEvent held(boolean holding) {
    return new LiveEvent(List.of(), null, holding);
  }

  public boolean isEnd() {
    return end != null;
  }

  /** Neither chunks nor the end: whether filters hold text back now. */
  public boolean isHeld() {
    return end == null && chunks.isEmpty();
  }

  public long firstSeq() {
    return chunks.get(0).seq();
  }

  public long lastSeq() {
    return chunks.get(chunks.size() - 1).seq();
  }
}
