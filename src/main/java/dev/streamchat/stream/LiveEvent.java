package dev.streamchat.stream;

import java.util.List;

/**
 * What the worker publishes to a generation's feeds once it is durable: a batch of consecutive
 * chunks, or the end with the final status. Sent on the local event bus as is (no copy).
 */
public record LiveEvent(List<Chunk> chunks, GenerationStatus end) {

  static LiveEvent chunks(List<Chunk> chunks) {
    return new LiveEvent(List.copyOf(chunks), null);
  }

  static LiveEvent end(GenerationStatus status) {
    return new LiveEvent(List.of(), status);
  }

  public boolean isEnd() {
    return end != null;
  }

  public long firstSeq() {
    return chunks.get(0).seq();
  }

  public long lastSeq() {
    return chunks.get(chunks.size() - 1).seq();
  }
}
