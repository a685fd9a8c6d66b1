package dev.streamchat.model.legacy;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Splits a byte stream into lines as they arrive. Bytes are kept until the line ends, so a
 * multi-byte UTF-8 character split across two network writes is decoded whole. Ends a line at
 * LF, CRLF or a lone CR (as SSE allows), even when the CR and the LF arrive in different writes.
 */
public final class LegacyLineSplitter {

  /** A line longer than the bound means the server is not speaking the protocol. */
  public static final class LineTooLong extends RuntimeException {
    LineTooLong(int max) {
      super("a line longer than " + max + " bytes");
    }
  }

  private final Consumer<String> onLine;
  private final int maxLineBytes;
  private byte[] line = new byte[512];
  private int length;
  private boolean afterCr;

  public LegacyLineSplitter(int maxLineBytes, Consumer<String> onLine) {
    this.maxLineBytes = maxLineBytes;
    this.onLine = onLine;
  }

  public void feed(Buffer bytes) {
    feed(bytes.getBytes());
  }

  public void feed(byte[] bytes) {
    for (byte b : bytes) {
      if (afterCr) {
        afterCr = false;
        if (b == '\n') continue;
      }
      if (b == '\n' || b == '\r') {
        afterCr = b == '\r';
        emit();
      } else {
        if (length == line.length) grow();
        line[length++] = b;
      }
    }
  }

  /** The stream ended: a last line without a line end still counts. */
  public void finish() {
    if (length > 0) emit();
  }

  private void emit() {
    String s = new String(line, 0, length, StandardCharsets.UTF_8);
    length = 0;
    onLine.accept(s);
  }

  private void grow() {
    if (line.length >= maxLineBytes) throw new LineTooLong(maxLineBytes);
    line = Arrays.copyOf(line, Math.min(maxLineBytes, line.length * 2));
  }
}
