package dev.streamchat.filter;

import java.util.List;
import java.util.regex.Matcher;

/**
 * The redaction filter of one answer stream (its text, or its reasoning): text goes in as the
 * model writes it, and what comes out is exactly what a whole-text replacement would give
 * (leftmost match first; at one position, the earlier rule), released as early as that is
 * certain. Text from the first position where a match could still begin (the matcher hit the
 * end of the input there: {@link Matcher#hitEnd()}, {@link Matcher#requireEnd()}) is held until
 * more text, or the end, decides it. At most {@code holdChars} are held: beyond that the oldest
 * undecided position is judged on the text as it is.
 *
 * <p>Not thread-safe: one stream feeds it in order.
 */
public final class Redaction {

  /** Released text kept before the undecided part, so that lookbehinds and {@code \b} see it. */
  private static final int CONTEXT_CHARS = 64;
  /** Buffer size at which released text is dropped from it (amortised: each char copied O(1) times). */
  private static final int COMPACT_AT = 4096;

  private final List<Rule> rules;
  private final int holdChars;
  private final Matcher[] matchers;
  /** Per rule: positions before it are known not to start a match of that rule. */
  private final int[] cursor;
  /** The model's text: [0, released) is decided, [released, length) is held. */
  private final StringBuilder text = new StringBuilder();
  private int released;
  private boolean ended;
  private long redactions;
  private long reported;
  private Rule endedBy;
  /** Whether the candidate {@link #firstCandidate} found last is a match no further text can change. */
  private boolean certain;

  public Redaction(List<Rule> rules, int holdChars) {
    if (holdChars < 1) throw new IllegalArgumentException("holdChars must be positive");
    this.rules = List.copyOf(rules);
    this.holdChars = holdChars;
    this.matchers = new Matcher[rules.size()];
    this.cursor = new int[rules.size()];
    for (int i = 0; i < matchers.length; i++) {
      matchers[i] = rules.get(i).pattern().matcher(text)
          .useTransparentBounds(true).useAnchoringBounds(false);
    }
  }

  /** Takes the next piece of the model's text; answers what can be released now (maybe ""). */
  public String feed(String piece) {
    if (ended || piece.isEmpty()) return "";
    if (rules.isEmpty()) return piece;
    text.append(piece);
    return decide(false);
  }

  /** The model's text ended: decides everything still held and answers it. */
  public String finish() {
    if (ended || rules.isEmpty()) return "";
    return decide(true);
  }

  /** Characters of the model's text held now, not yet released. */
  public int held() {
    return text.length() - released;
  }

  /** Matches replaced so far. */
  public long redactions() {
    return redactions;
  }

  /** Matches replaced since this was last asked (for counting them elsewhere). */
  public long newRedactions() {
    long n = redactions - reported;
    reported = redactions;
    return n;
  }

  /** True once an ending rule matched: what came before it was released, nothing after ever is. */
  public boolean ended() {
    return ended;
  }

  /** The ending rule that matched, or null. */
  public Rule endedBy() {
    return endedBy;
  }

  private String decide(boolean atEnd) {
    StringBuilder out = new StringBuilder();
    while (released < text.length()) {
      // The earliest position where any rule matches, or may match; at one position the earlier rule wins.
      int bestRule = -1;
      int bestStart = Integer.MAX_VALUE;
      boolean bestCertain = false;
      for (int r = 0; r < matchers.length; r++) {
        if (cursor[r] < released) cursor[r] = released;
        if (cursor[r] >= bestStart) continue; // cannot beat the best (ties go to the earlier rule)
        int start = firstCandidate(r, atEnd);
        if (start >= 0 && start < bestStart) {
          bestRule = r;
          bestStart = start;
          bestCertain = certain;
        }
      }
      if (bestRule < 0) { // no rule can start a match anywhere in the held text
        out.append(text, released, text.length());
        released = text.length();
        break;
      }
      boolean judgeAsIs = atEnd || text.length() - bestStart > holdChars;
      if (!bestCertain && !judgeAsIs) { // release up to where a match may still begin, hold the rest
        out.append(text, released, bestStart);
        released = bestStart;
        break;
      }
      Matcher m = matchers[bestRule];
      m.region(bestStart, text.length());
      if (!m.lookingAt() || m.end() == m.start()) { // judged as is: no match at this position after all
        cursor[bestRule] = bestStart + 1;
        continue;
      }
      int end = m.end();
      out.append(text, released, bestStart);
      Rule rule = rules.get(bestRule);
      if (rule.endsAnswer()) {
        ended = true;
        endedBy = rule;
        text.setLength(0);
        released = 0;
        return out.toString();
      }
      out.append(rule.replacement());
      redactions++;
      released = end;
    }
    compact();
    return out.toString();
  }

  /**
   * The first position at or after the rule's cursor where it matches or where more text could
   * make it match; -1 when there is none. Sets {@link #certain}. Positions found to start no match
   * whatever comes next are skipped for good (the rule's cursor moves past them).
   */
  private int firstCandidate(int r, boolean atEnd) {
    Matcher m = matchers[r];
    m.region(cursor[r], text.length());
    boolean found = m.find();
    if (!found || m.end() == m.start()) found = false;
    if (atEnd || (!m.hitEnd() && !m.requireEnd())) {
      // Nothing depended on text not yet written: the search's answer is final.
      if (!found) {
        cursor[r] = text.length();
        certain = false;
        return -1;
      }
      cursor[r] = m.start();
      certain = true;
      return m.start();
    }
    // The search reached the end of the text somewhere: find the first position where that matters.
    int limit = found ? m.start() : text.length() - 1;
    for (int i = cursor[r]; i <= limit; i++) {
      m.region(i, text.length());
      boolean here = m.lookingAt() && m.end() > m.start();
      if (m.hitEnd() || m.requireEnd()) {
        cursor[r] = i;
        certain = false;
        return i;
      }
      if (here) {
        cursor[r] = i;
        certain = true;
        return i;
      }
    }
    cursor[r] = text.length();
    certain = false;
    return -1;
  }

  /** Drops released text from the buffer but for a little context; shifts the cursors with it. */
  private void compact() {
    int drop = released - CONTEXT_CHARS;
    if (text.length() < COMPACT_AT || drop <= 0) return;
    text.delete(0, drop);
    released -= drop;
    for (int r = 0; r < cursor.length; r++) cursor[r] = Math.max(0, cursor[r] - drop);
    for (Matcher m : matchers) m.reset(text);
  }
}
