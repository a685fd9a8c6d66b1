package dev.streamchat.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RedactionTest {

  private static final String SECRET = "sk-ABCDEFGH12345678";
  private static final Rule KEY = Rule.redact(Pattern.compile("sk-[A-Za-z0-9]{16}"), Rule.REDACTED, "test");
  private static final String ANSWER = "Your key is sk-ABCDEFGH12345678, keep it; sk-short is not one. "
      + "Again:sk-ABCDEFGH12345678sk-ABCDEFGH12345678!";

  @Test
  void aSecretSplitAtAnyTwoBoundariesNeverLeaksAndTheResultIsReplaceAll() {
    String expected = KEY.pattern().matcher(ANSWER).replaceAll(Matcher.quoteReplacement(Rule.REDACTED));
    assertFalse(expected.contains("sk-A"), expected);
    for (int i = 0; i <= ANSWER.length(); i++) {
      for (int j = i; j <= ANSWER.length(); j++) {
        List<String> chunks = List.of(ANSWER.substring(0, i), ANSWER.substring(i, j), ANSWER.substring(j));
        assertEquals(expected, run(List.of(KEY), chunks, 256, expected), "split at " + i + ", " + j);
      }
    }
  }

  @Test
  void oneCharacterChunksHoldOnlyWhatCouldStillBecomeTheSecret() {
    Redaction filter = new Redaction(List.of(KEY), 256);
    StringBuilder out = new StringBuilder();
    String text = "key: " + SECRET + " now";
    for (int i = 0; i < text.length(); i++) {
      out.append(filter.feed(text.substring(i, i + 1)));
      // Everything before the secret's first letter goes out at once; from it on, all is held.
      if (i < 5) assertEquals(text.substring(0, i + 1), out.toString(), "nothing to hold yet at " + i);
      else if (i < 5 + SECRET.length() - 1) assertEquals("key: ", out.toString(), "held from the 's' at " + i);
      else if (i == 5 + SECRET.length() - 1) assertEquals("key: [redacted]", out.toString(), "decided at its last char");
    }
    out.append(filter.finish());
    assertEquals("key: [redacted] now", out.toString());
    assertEquals(1, filter.redactions());
  }

  @Test
  void textThatCannotStartAMatchIsNotHeld() {
    Redaction filter = new Redaction(List.of(KEY), 256);
    assertEquals("hello world ", filter.feed("hello world "));
    assertEquals(0, filter.held());
    assertEquals("the ", filter.feed("the s"));
    assertEquals(1, filter.held());
    assertEquals("", filter.feed("k-AB"));
    assertEquals(5, filter.held());
    assertEquals("sk-AB!", filter.feed("!")); // no longer a key: released as written
    assertEquals(0, filter.held());
  }

  @Test
  void overlappingAdjacentAndLookaroundRulesGiveTheWholeTextReplacementUnderAnyChunking() {
    List<Rule> rules = List.of(
        Rule.redact(Pattern.compile("abc"), "<1>", "r1"),
        Rule.redact(Pattern.compile("bcd"), "<2>", "r2"),
        Rule.redact(Pattern.compile("\\d+"), "<n>", "r3"),
        Rule.redact(Pattern.compile("cat(?=s)"), "<cat>", "r4"),
        Rule.redact(Pattern.compile("(?<=x)y+"), "<y>", "r5"),
        Rule.redact(Pattern.compile("\\bdog\\b"), "<dog>", "r6"),
        Rule.redact(Pattern.compile("a[^.]*?\\."), "<sentence>", "r7"),
        Rule.redact(Pattern.compile("end$"), "<end>", "r8"));
    String alphabet = "abcdxyts12 og.en";
    Random random = new Random(15);
    for (int round = 0; round < 3000; round++) {
      String text = randomText(random, alphabet, 1 + random.nextInt(40));
      if (round % 7 == 0) text = text + "dog cats xyy abcd 123 end";
      String expected = wholeText(rules, text);
      assertEquals(expected, run(rules, randomChunks(random, text), 256, expected), "text '" + text + "'");
      assertEquals(expected, run(rules, oneCharChunks(text), 256, expected), "text '" + text + "'");
    }
  }

  @Test
  void endingPhraseCutsTheAnswerBeforeItWhereverItIsSplit() {
    List<Rule> rules = List.of(KEY, Rule.endsAnswer("As an AI", "test"));
    String text = "Sure. sk-ABCDEFGH12345678 as an ai model I cannot. More text.";
    for (int i = 0; i <= text.length(); i++) {
      Redaction filter = new Redaction(rules, 256);
      String out = filter.feed(text.substring(0, i)) + filter.feed(text.substring(i)) + filter.finish();
      assertEquals("Sure. [redacted] ", out, "split at " + i);
      assertTrue(filter.ended());
      assertEquals("", filter.feed("after the end"));
    }
  }

  @Test
  void heldTextNeverExceedsTheBoundAndBeyondItIsJudgedAsIs() {
    Redaction filter = new Redaction(List.of(Rule.redact(Pattern.compile("\\d{3,}"), "#", "digits")), 8);
    StringBuilder out = new StringBuilder();
    for (char c : "call 1234567890123456 now".toCharArray()) {
      out.append(filter.feed(String.valueOf(c)));
      assertTrue(filter.held() <= 8, "held " + filter.held());
    }
    out.append(filter.finish());
    // The run of digits was cut where the bound forced a decision; no digit run of 3 or more is left.
    assertFalse(Pattern.compile("\\d{3,}").matcher(out).find(), out.toString());
    assertTrue(out.toString().startsWith("call #"), out.toString());
  }

  @Test
  void withoutRulesEverythingPassesAtOnce() {
    Redaction filter = new Redaction(List.of(), 256);
    assertEquals("sk-ABCDEFGH", filter.feed("sk-ABCDEFGH"));
    assertEquals(0, filter.held());
  }

  /** Feeds the chunks; after each, what was released must be a prefix of the expected whole. */
  static String run(List<Rule> rules, List<String> chunks, int hold, String expected) {
    Redaction filter = new Redaction(rules, hold);
    StringBuilder out = new StringBuilder();
    for (String c : chunks) {
      out.append(filter.feed(c));
      if (!expected.startsWith(out.toString())) {
        throw new AssertionError("released '" + out + "', not a prefix of '" + expected + "' (chunks " + chunks + ")");
      }
    }
    out.append(filter.finish());
    assertEquals(0, filter.held());
    return out.toString();
  }

  /** The oracle: one alternation of all rules (earlier rule first), replaced over the whole text. */
  static String wholeText(List<Rule> rules, String text) {
    StringBuilder alternation = new StringBuilder();
    for (int i = 0; i < rules.size(); i++) {
      alternation.append(i == 0 ? "" : "|").append("(?<r").append(i).append('>').append(rules.get(i).pattern().pattern()).append(')');
    }
    Matcher m = Pattern.compile(alternation.toString()).matcher(text);
    StringBuilder out = new StringBuilder();
    int last = 0;
    while (m.find()) {
      int r = 0;
      while (m.group("r" + r) == null) r++;
      out.append(text, last, m.start());
      if (rules.get(r).endsAnswer()) return out.toString();
      out.append(rules.get(r).replacement());
      last = m.end();
    }
    return out.append(text.substring(last)).toString();
  }

  static String randomText(Random random, String alphabet, int length) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < length; i++) b.append(alphabet.charAt(random.nextInt(alphabet.length())));
    return b.toString();
  }

  static List<String> randomChunks(Random random, String text) {
    List<String> chunks = new ArrayList<>();
    int at = 0;
    while (at < text.length()) {
      int n = Math.min(text.length() - at, 1 + random.nextInt(6));
      chunks.add(text.substring(at, at + n));
      at += n;
    }
    return chunks;
  }

  static List<String> oneCharChunks(String text) {
    List<String> chunks = new ArrayList<>();
    for (int i = 0; i < text.length(); i++) chunks.add(text.substring(i, i + 1));
    return chunks;
  }
}
