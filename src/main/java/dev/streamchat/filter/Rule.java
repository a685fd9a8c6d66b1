package dev.streamchat.filter;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One filter rule: a pattern and what becomes of its matches. A redaction replaces each match by
 * {@code replacement} (taken literally, no {@code $1}); an ending rule cuts the answer just before
 * its match and ends it there.
 *
 * @param source where the rule was written ({@code STREAMCHAT_REDACT line 2}), for messages
 */
public record Rule(Pattern pattern, String replacement, boolean endsAnswer, String source) {

  public static final String REDACTED = "[redacted]";

  /** Texts a pattern is tried on at start: one that matches the empty string on any of them is refused. */
  private static final List<String> EMPTY_PROBES = List.of("", "a", "A", "0", " ", "\n", ".",
      "The quick brown fox jumps over the lazy dog.\nSPHINX OF BLACK QUARTZ, JUDGE MY VOW!\t0123456789",
      " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \u00e9\u00fc\u4e2d\ud83d\ude00");

  public static Rule redact(Pattern pattern, String replacement, String source) {
    checkNotEmpty(pattern, source);
    return new Rule(pattern, replacement, false, source);
  }

  /** A phrase (literal, case-insensitive) that ends the answer where it begins. */
  public static Rule endsAnswer(String phrase, String source) {
    if (phrase.isEmpty()) throw new IllegalArgumentException(source + ": the phrase is empty");
    return new Rule(Pattern.compile(Pattern.quote(phrase), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE),
        "", true, source);
  }

  /**
   * A rule whose pattern can match empty text would "match" between every two characters, and a
   * streaming filter could release nothing: such patterns are refused when they are read.
   */
  private static void checkNotEmpty(Pattern pattern, String source) {
    for (String probe : EMPTY_PROBES) {
      Matcher m = pattern.matcher(probe);
      while (m.find()) {
        if (m.end() == m.start()) {
          throw new IllegalArgumentException(source + ": the pattern /" + pattern.pattern()
              + "/ can match empty text; write it so that every match has at least one character");
        }
      }
    }
  }
}
