package dev.streamchat.stream.journal;

import java.util.Arrays;

/**
 * Where a generation's chunks are: a few (first seq, position) pairs, sorted, so a read seeks to
 * the nearest record at or before its cursor and scans forward from there. Bounded: past
 * {@link #CAP} entries every other one is dropped and the spacing doubles, except the first entry
 * in each segment (a scan must never cross a segment full of other generations to find it).
 * Compaction makes a generation's records contiguous, which keeps scans short however long it is.
 * A position packs a segment number and an offset.
 */
final class SparseIndex {
  static final int CAP = 128;
  private static final int OFFSET_BITS = 40;

  private long[] seqs = new long[4];
  private long[] positions = new long[4];
  private int size;
  private long gap = 16;

  static long pack(long segment, long offset) {
    return (segment << OFFSET_BITS) | offset;
  }

  static long segment(long position) {
    return position >>> OFFSET_BITS;
  }

  static long offset(long position) {
    return position & ((1L << OFFSET_BITS) - 1);
  }

  /**
   * Notes a record whose first chunk is {@code firstSeq} when it is {@code gap} chunks or
   * {@code gap * 4 KiB} bytes past the last entry (other generations' records lie between, and a
   * scan reads them too), or the generation's first in its segment.
   */
  void add(long firstSeq, long position) {
    if (size > 0) {
      long last = positions[size - 1];
      boolean sameSegment = segment(position) == segment(last);
      if (sameSegment && firstSeq - seqs[size - 1] < gap && offset(position) - offset(last) < gap * 4096) return;
    }
    if (size >= CAP) thin();
    if (size == seqs.length) {
      seqs = Arrays.copyOf(seqs, size * 2);
      positions = Arrays.copyOf(positions, size * 2);
    }
    seqs[size] = firstSeq;
    positions[size] = position;
    size++;
  }

  private void thin() {
    int kept = 0;
    for (int i = 0; i < size; i++) {
      boolean segmentFirst = i == 0 || segment(positions[i]) != segment(positions[i - 1]);
      if (i % 2 == 0 || segmentFirst) {
        seqs[kept] = seqs[i];
        positions[kept] = positions[i];
        kept++;
      }
    }
    size = kept;
    gap *= 2;
  }

  /** The position to scan from for chunk {@code seq}, or -1 when no record is known. */
  long floor(long seq) {
    int lo = 0;
    int hi = size - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (seqs[mid] <= seq) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return size > 0 ? positions[0] : -1;
    return positions[found];
  }

  /** Copies into {@code into} the entries in segments after {@code segment}. */
  void copyAfter(long segment, SparseIndex into) {
    for (int i = 0; i < size; i++) {
      if (segment(positions[i]) > segment) into.add(seqs[i], positions[i]);
    }
  }
}
