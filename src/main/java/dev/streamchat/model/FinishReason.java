package dev.streamchat.model;

import java.util.Locale;

/** Why an answer that completed ended: the model was done, or a length bound cut it. */
public enum FinishReason {
  /** The model ended its answer itself. */
  STOP,
  /** Cut by a length bound: the model's {@code max_tokens}, or streamchat's own token or byte cap. */
  LENGTH,
  /** The model server withheld the rest of the answer (its own content filter). */
  CONTENT_FILTER,
  /** Any other reason the model server gave. */
  OTHER;

  /** The lower-case name used in the API. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static FinishReason fromWire(String s) {
    return valueOf(s.toUpperCase(Locale.ROOT));
  }
}
