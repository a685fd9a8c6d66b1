package dev.streamchat.stream;

import java.util.Locale;

/** Where a generation stands; every state but RUNNING is final. */
public enum GenerationState {
  RUNNING, DONE, STOPPED, FAILED, INTERRUPTED;

  public boolean isFinal() {
    return this != RUNNING;
  }

  /** The lower-case name used in the API and the pages. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static GenerationState fromWire(String s) {
    return valueOf(s.toUpperCase(Locale.ROOT));
  }
}
