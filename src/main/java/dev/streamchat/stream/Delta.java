package dev.streamchat.stream;

import java.util.List;

/**
 * Consecutive chunks folded into one event: {@code lastSeq} is the number of the last of them,
 * {@code text} and {@code reasoning} the concatenations of their parts.
 */
public record Delta(long lastSeq, String text, String reasoning) {

  public static Delta of(List<Chunk> chunks) {
    StringBuilder text = new StringBuilder();
    StringBuilder reasoning = new StringBuilder();
    for (Chunk c : chunks) {
      (c.kind() == Chunk.Kind.TEXT ? text : reasoning).append(c.text());
    }
    return new Delta(chunks.get(chunks.size() - 1).seq(), text.toString(), reasoning.toString());
  }
}
