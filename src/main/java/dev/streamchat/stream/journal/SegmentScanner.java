package dev.streamchat.stream.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * Walks the records of one segment from a position up to a limit, reading through a buffer.
 * Stops at the limit or at the first bytes that are not a whole record ({@link #torn()}).
 */
final class SegmentScanner {
  private final FileChannel channel;
  private final long limit;
  private byte[] buf;
  private long bufStart;
  private int bufLen;
  private long next;
  private boolean torn;

  private long recordPos;
  private int bodyOff;
  private int bodyLen;

  SegmentScanner(FileChannel channel, long from, long limit, int bufferBytes) {
    this.channel = channel;
    this.limit = limit;
    this.buf = new byte[bufferBytes];
    this.bufStart = from;
    this.next = from;
  }

  /** Moves to the next record; false at the limit or at a torn record. */
  boolean next(boolean verify) throws IOException {
    if (next >= limit) return false;
    if (!fill(Records.HEADER)) return tear();
    int off = (int) (next - bufStart);
    int len = Records.getInt(buf, off);
    if (len < 1 || len > Records.MAX_BODY || next + Records.HEADER + len > limit) return tear();
    if (!fill(Records.HEADER + len)) return tear();
    off = (int) (next - bufStart);
    if (verify && Records.crc(buf, off + Records.HEADER, len) != Records.getInt(buf, off + 4)) return tear();
    recordPos = next;
    bodyOff = off + Records.HEADER;
    bodyLen = len;
    next += Records.HEADER + len;
    return true;
  }

  private boolean tear() {
    torn = true;
    return false;
  }

  /** True when the scan stopped at bytes that are not a whole record. */
  boolean torn() {
    return torn;
  }

  /** Where the first byte not part of a whole record is (the end of the last whole record). */
  long wholeEnd() {
    return next;
  }

  long recordPos() {
    return recordPos;
  }

  int recordLength() {
    return Records.HEADER + bodyLen;
  }

  boolean checksumHolds() {
    return Records.crc(buf, bodyOff, bodyLen) == Records.getInt(buf, bodyOff - 4);
  }

  Records.Reader body() {
    return new Records.Reader(buf, bodyOff, bodyLen);
  }

  private boolean fill(int n) throws IOException {
    if (next + n <= bufStart + bufLen) return true;
    int keep = (int) Math.max(0, bufStart + bufLen - next);
    if (keep > 0) System.arraycopy(buf, (int) (next - bufStart), buf, 0, keep);
    bufStart = next;
    bufLen = keep;
    if (n > buf.length) buf = Arrays.copyOf(buf, Math.max(n, buf.length * 2));
    while (bufLen < n) {
      long at = bufStart + bufLen;
      int room = (int) Math.min(buf.length - bufLen, limit - at);
      if (room <= 0) return false;
      int read = channel.read(ByteBuffer.wrap(buf, bufLen, room), at);
      if (read <= 0) return false;
      bufLen += read;
    }
    return true;
  }
}
