package dev.streamchat.model;

/** Token counts as the model server reported them; -1 where it reported none. */
public record Usage(long promptTokens, long completionTokens) {

  public static final Usage UNKNOWN = new Usage(-1, -1);

  /** This usage with the other's known counts taken over (a later report wins). */
  public Usage merge(Usage later) {
    return new Usage(later.promptTokens >= 0 ? later.promptTokens : promptTokens,
        later.completionTokens >= 0 ? later.completionTokens : completionTokens);
  }
}
