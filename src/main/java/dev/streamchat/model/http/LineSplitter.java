package dev.streamchat.model.http;

import io.vertx.core.buffer.Buffer;
import java.util.Arrays;

/**
 * Splits a byte stream into lines as they arrive, handing each line on as bytes (a multi-byte
 * UTF-8 character split across two network writes arrives whole). A line that lies within one
 * write is handed on in place; only a line cut by the end of a write is copied, to be continued.
 * Ends a line at LF, CRLF or a lone CR (as SSE allows), even when the CR and the LF arrive in
 * different writes.
 */
public final class LineSplitter {

  /** A line longer than the bound means the server is not speaking the protocol. */
  public static final class LineTooLong extends RuntimeException {
    LineTooLong(int max) {
      super("a line longer than " + max + " bytes");
    }
  }

  /** Receives each line: {@code length} bytes of {@code bytes} from {@code offset}, valid only during the call. */
  @FunctionalInterface
  public interface LineHandler {
    void line(byte[] bytes, int offset, int length);
  }

  private final LineHandler onLine;
  private final int maxLineBytes;
  /** The start of a line that the last write cut (none kept until a write cuts one). */
  private byte[] held = new byte[0];
  private int heldLength;
  private boolean afterCr;

  public LineSplitter(int maxLineBytes, LineHandler onLine) {
    this.maxLineBytes = maxLineBytes;
    this.onLine = onLine;
  }

  public void feed(Buffer bytes) {
    // A copy per network read, not an array kept per stream: a live answer holds nothing between reads
    // but the start of a line a read cut.
    feed(bytes.getBytes());
  }

  public void feed(byte[] bytes) {
    feed(bytes, bytes.length);
  }

  private void feed(byte[] bytes, int end) {
    int start = 0;
    if (afterCr && end > 0) {
      afterCr = false;
      if (bytes[0] == '\n') start = 1;
    }
    for (int i = start; i < end; i++) {
      byte b = bytes[i];
      if (b != '\n' && b != '\r') continue;
      if (heldLength > 0) {
        hold(bytes, start, i - start);
        emitHeld();
      } else {
        if (i - start > maxLineBytes) throw new LineTooLong(maxLineBytes);
        onLine.line(bytes, start, i - start);
      }
      if (b == '\r') {
        if (i + 1 == end) afterCr = true;
        else if (bytes[i + 1] == '\n') i++;
      }
      start = i + 1;
    }
    hold(bytes, start, end - start);
  }

  /** The stream ended: a last line without a line end still counts. */
  public void finish() {
    if (heldLength > 0) emitHeld();
  }

  private void hold(byte[] bytes, int from, int length) {
    if (length == 0) return;
    int needed = heldLength + length;
    if (needed > maxLineBytes) throw new LineTooLong(maxLineBytes);
    if (needed > held.length) held = Arrays.copyOf(held, Math.min(maxLineBytes, Math.max(needed, Math.max(256, held.length * 2))));
    System.arraycopy(bytes, from, held, heldLength, length);
    heldLength = needed;
  }

  private void emitHeld() {
    int length = heldLength;
    heldLength = 0;
    onLine.line(held, 0, length);
  }
}
