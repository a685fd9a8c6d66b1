package dev.streamchat.filter;

import java.util.List;
import java.util.Optional;

/**
 * What the operator set for filtering answers: the redaction and ending rules, how much text a
 * filter may hold back, and the moderation endpoint (none: no moderation).
 */
public record FilterSettings(List<Rule> rules, int holdChars, Optional<String> moderationUrl,
    Optional<String> moderationApiKey, int moderationWindowChars, int moderationTimeoutMs) {

  public static final int DEFAULT_HOLD_CHARS = 256;
  public static final int DEFAULT_WINDOW_CHARS = 500;
  public static final int DEFAULT_MODERATION_TIMEOUT_MS = 10_000;

  public FilterSettings {
    rules = List.copyOf(rules);
  }

  /** No rules, no moderation. */
  public static FilterSettings none() {
    return new FilterSettings(List.of(), DEFAULT_HOLD_CHARS, Optional.empty(), Optional.empty(),
        DEFAULT_WINDOW_CHARS, DEFAULT_MODERATION_TIMEOUT_MS);
  }
}
