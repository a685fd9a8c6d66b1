package dev.streamchat.json;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The partial value of a JSON answer as a viewer is sent it: parsed from the text as it comes, and
 * given out when it changed, coalesced so that the bytes sent stay within {@link #RATIO} times
 * the answer's (plus {@link #SLACK}, so that a short answer's first values go out at once). Each
 * value sent is the whole value so far; the value of the whole answer is always given last.
 */
public final class JsonUpdates {

  static final int RATIO = 4;
  static final int SLACK = 512;

  private final PartialJson json = new PartialJson();
  private long answerChars;
  private long sentChars;
  private String lastSent;

  /** Starts after a prefix of the answer (a viewer resuming); its value is not counted as sent. */
  public JsonUpdates(String prefix) {
    json.feed(prefix);
    answerChars = prefix.length();
  }

  /** The value so far, or null before there is one: what a viewer resuming is sent first. */
  public String current() {
    String v = json.valueJson();
    return v.equals("null") ? null : take(v);
  }

  /** Takes more of the answer; the value to send now, or null (unchanged, or coalesced with a later one). */
  public String next(String text) {
    json.feed(text);
    answerChars += text.length();
    if (!json.changed()) return null;
    // The value is about as long as the answer: judge the budget before serialising it.
    if (sentChars + answerChars > RATIO * answerChars + SLACK) return null;
    return take(json.valueJson());
  }

  /** The answer ended: the last value, when it is not the one sent last (else null). */
  public String last() {
    json.finish();
    JsonNode whole = json.result();
    String v = whole != null ? whole.toString() : json.valueJson();
    return v.equals(lastSent) || (v.equals("null") && whole == null) ? null : take(v);
  }

  /** The whole value once the answer ended valid; else null. */
  public JsonNode result() {
    return json.result();
  }

  private String take(String v) {
    sentChars += v.length();
    lastSent = v;
    return v;
  }
}
