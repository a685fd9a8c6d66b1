package dev.streamchat.model;

/** Token counts as the model server reported them; -1 where it reported none. */
public record Usage(long promptTokens, long completionTokens) {

  public static final Usage UNKNOWN = new Usage(-1, -1);
}
