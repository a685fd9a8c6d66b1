package dev.streamchat.stream.journal;

import java.util.Locale;

/** When an append counts as written: set by {@code STREAMCHAT_FSYNC}. */
public enum Durability {
  /** Written to the operating system: survives the process being killed, not a power cut. */
  OS,
  /** Forced to the disk (one group-committed {@code fsync} per write): survives a power cut. */
  DISK;

  /** Reads the setting's value, naming the variable when it is nonsense. */
  public static Durability parse(String variable, String value) {
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "os" -> OS;
      case "disk" -> DISK;
      default -> throw new IllegalArgumentException(variable + " must be os or disk, not '" + value + "'");
    };
  }
}
