package dev.streamchat.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.filter.FilterSettings;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The filter variables: defaults, and mistakes that stop the start with a message naming the variable. */
class FilterConfigTest {

  @Test
  void defaultsFilterNothing() {
    FilterSettings f = Config.from(Map.of()).filters();
    assertTrue(f.rules().isEmpty());
    assertEquals(256, f.holdChars());
    assertEquals(Optional.empty(), f.moderationUrl());
    assertEquals(500, f.moderationWindowChars());
  }

  @Test
  void mistakesStopTheStart() {
    assertMessage(Map.of("STREAMCHAT_REDACT", "ok\n(broken"), "STREAMCHAT_REDACT line 2: not a valid regular expression");
    assertMessage(Map.of("STREAMCHAT_FILTERS", "/nonexistent/filters.txt"), "STREAMCHAT_FILTERS=/nonexistent/filters.txt cannot be read");
    assertMessage(Map.of("STREAMCHAT_FILTER_HOLD_CHARS", "0"), "STREAMCHAT_FILTER_HOLD_CHARS must be a whole number from 1");
    assertMessage(Map.of("STREAMCHAT_MODERATION_URL", "moderation.local"), "STREAMCHAT_MODERATION_URL must be an http(s) URL");
    assertMessage(Map.of("STREAMCHAT_MODERATION_WINDOW_CHARS", "x"), "STREAMCHAT_MODERATION_WINDOW_CHARS must be a whole number");
  }

  private static void assertMessage(Map<String, String> env, String start) {
    String message = assertThrows(IllegalArgumentException.class, () -> Config.from(env)).getMessage();
    assertTrue(message.startsWith(start), message);
  }
}
