package dev.streamchat.stream;

/** One numbered piece of a generation: answer text or reasoning ("thinking") text. */
public record Chunk(long seq, Kind kind, String text) {

  public enum Kind { TEXT, REASONING }
}
