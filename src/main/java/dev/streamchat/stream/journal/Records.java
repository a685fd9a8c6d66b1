package dev.streamchat.stream.journal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The journal's record framing: {@code int length, int crc32c(body), body}, the body starting with
 * its type byte. A length or checksum that does not hold marks a torn record (a write cut short).
 */
final class Records {
  static final int HEADER = 8;
  /** Larger bodies are never written, so a larger length is garbage. */
  static final int MAX_BODY = 16 * 1024 * 1024;
  static final int MAGIC = 0x53434a31; // "SCJ1"

  static final byte SEGMENT = 1;
  static final byte START = 2;
  static final byte CHUNKS = 3;
  static final byte END = 4;
  static final byte DELETE = 5;

  private Records() {
  }

  static int crc(byte[] b, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(b, off, len);
    return (int) c.getValue();
  }

  static int getInt(byte[] b, int off) {
    return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
  }

  static void putInt(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 24);
    b[off + 1] = (byte) (v >>> 16);
    b[off + 2] = (byte) (v >>> 8);
    b[off + 3] = (byte) v;
  }

  /** A growable buffer that records are framed into; one buffer becomes one write. */
  static final class Writer {
    byte[] buf = new byte[64 * 1024];
    int len;
    private int recordStart = -1;

    void reset() {
      len = 0;
      if (buf.length > 4 * 1024 * 1024) buf = new byte[64 * 1024];
    }

    /** Starts a record; returns its offset in this buffer. */
    int begin(byte type) {
      recordStart = len;
      ensure(HEADER + 1);
      len += HEADER;
      buf[len++] = type;
      return recordStart;
    }

    /** Frames the record begun last; returns its total length. */
    int finish() {
      int bodyLen = len - recordStart - HEADER;
      if (bodyLen > MAX_BODY) throw new IllegalArgumentException("record too large: " + bodyLen);
      Records.putInt(buf, recordStart, bodyLen);
      Records.putInt(buf, recordStart + 4, crc(buf, recordStart + HEADER, bodyLen));
      int total = len - recordStart;
      recordStart = -1;
      return total;
    }

    /** Drops everything after {@code mark} (an op refused while being encoded). */
    void truncate(int mark) {
      len = mark;
      recordStart = -1;
    }

    void putInt(int v) {
      ensure(4);
      Records.putInt(buf, len, v);
      len += 4;
    }

    void putVarLong(long v) {
      ensure(10);
      while ((v & ~0x7FL) != 0) {
        buf[len++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      buf[len++] = (byte) v;
    }

    void putSigned(long v) {
      putVarLong((v << 1) ^ (v >> 63));
    }

    void putBytes(byte[] b) {
      ensure(b.length);
      System.arraycopy(b, 0, buf, len, b.length);
      len += b.length;
    }

    void putBytes(byte[] b, int off, int n) {
      ensure(n);
      System.arraycopy(b, off, buf, len, n);
      len += n;
    }

    /** A nullable string: length + 1 (0 for null), then UTF-8. */
    void putString(String s) {
      if (s == null) {
        putVarLong(0);
        return;
      }
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      putVarLong(b.length + 1L);
      putBytes(b);
    }

    private void ensure(int n) {
      if (len + n > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
    }
  }

  /** Reads a record body. */
  static final class Reader {
    final byte[] b;
    int pos;
    final int end;

    Reader(byte[] b, int off, int len) {
      this.b = b;
      this.pos = off;
      this.end = off + len;
    }

    byte type() {
      return b[pos++];
    }

    int getInt() {
      int v = Records.getInt(b, pos);
      pos += 4;
      return v;
    }

    long getVarLong() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) throw new IllegalStateException("record ends inside a number");
        byte x = b[pos++];
        v |= (long) (x & 0x7F) << shift;
        if (x >= 0) return v;
      }
      throw new IllegalStateException("malformed number in a record");
    }

    long getSigned() {
      long v = getVarLong();
      return (v >>> 1) ^ -(v & 1);
    }

    String getString() {
      long n = getVarLong();
      if (n == 0) return null;
      int len = (int) (n - 1);
      if (len < 0 || pos + len > end) throw new IllegalStateException("string beyond its record");
      String s = new String(b, pos, len, StandardCharsets.UTF_8);
      pos += len;
      return s;
    }
  }
}
