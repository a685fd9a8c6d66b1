package dev.streamchat.stream;

import dev.streamchat.model.Failure;
import dev.streamchat.model.FinishReason;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.Usage;
import java.nio.charset.StandardCharsets;

/**
 * The first stage of every pipeline: streamchat's own bounds on an answer, whatever the model
 * does with {@code max_tokens}. Past {@code maxTokens} pieces (a piece is about one token) or
 * {@code maxBytes} bytes of UTF-8 it cancels the model and ends the answer done, with finish reason
 * LENGTH; the text up to the byte bound is kept. Anything after an end is dropped.
 */
final class Meter implements StreamListener {

  private final StreamListener next;
  private final Upstream upstream;
  private final long maxTokens;
  private final long maxBytes;
  private long tokens;
  private long bytes;
  private boolean ended;

  Meter(StreamListener next, Upstream upstream, long maxTokens, long maxBytes) {
    this.next = next;
    this.upstream = upstream;
    this.maxTokens = maxTokens;
    this.maxBytes = maxBytes;
  }

  /** Counts what a taken-over log already holds toward the bounds. */
  void alreadyWritten(long pieces, long utf8Bytes) {
    tokens += pieces;
    bytes += utf8Bytes;
  }

  @Override
  public void onText(String text) {
    String kept = admit(text);
    if (kept != null && !kept.isEmpty()) next.onText(kept);
    if (kept != text && !ended) cut();
  }

  @Override
  public void onReasoning(String text) {
    String kept = admit(text);
    if (kept != null && !kept.isEmpty()) next.onReasoning(kept);
    if (kept != text && !ended) cut();
  }

  /** The part of {@code text} within the bounds: all of it (the same string), a head of it, or null. */
  private String admit(String text) {
    if (ended) return null;
    if (tokens >= maxTokens) return null;
    tokens++;
    long size = utf8Length(text);
    if (bytes + size <= maxBytes) {
      bytes += size;
      return text;
    }
    String head = utf8Head(text, maxBytes - bytes);
    bytes = maxBytes;
    return head;
  }

  private void cut() {
    ended = true;
    upstream.cancel();
    next.onComplete(FinishReason.LENGTH, new Usage(-1, tokens));
  }

  @Override
  public void onComplete(FinishReason reason, Usage usage) {
    if (ended) return;
    ended = true;
    next.onComplete(reason, usage);
  }

  @Override
  public void onFailure(Failure failure) {
    if (ended) return;
    ended = true;
    next.onFailure(failure);
  }

  static long utf8Length(String s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) n++;
      else if (c < 0x800) n += 2;
      else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else n += 3;
    }
    return n;
  }

  /** The longest head of {@code s} whose UTF-8 fits in {@code room} bytes, never splitting a character. */
  static String utf8Head(String s, long room) {
    long used = 0;
    int i = 0;
    while (i < s.length()) {
      int cp = s.codePointAt(i);
      int size = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
      if (used + size > room) break;
      used += size;
      i += Character.charCount(cp);
    }
    return s.substring(0, i);
  }
}
