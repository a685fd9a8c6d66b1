package dev.streamchat.stream.journal;

import dev.streamchat.stream.GenerationEnd;
import dev.streamchat.stream.GenerationInfo;

/**
 * What the journal keeps in memory of one generation: its start and end records, its last
 * chunk's number, where its chunks are (sparse) and how many bytes it takes. Never its text.
 * Guarded by its own monitor: the writer thread changes it, readers take snapshots.
 */
final class Generation {
  final long no;
  final GenerationInfo info;
  GenerationEnd end;
  long lastSeq;
  long chunks;
  long textBytes;
  long diskBytes;
  SparseIndex index = new SparseIndex();

  Generation(long no, GenerationInfo info) {
    this.no = no;
    this.info = info;
  }

  /** Bytes it will take once compacted: its text, a byte or two per chunk, its start and end. */
  long compactBytes() {
    return textBytes + 2 * chunks + 96;
  }

  /** Bytes of it worth keeping: all while it runs, its compact size once ended. */
  long liveBytes() {
    return end == null ? diskBytes : Math.min(diskBytes, compactBytes());
  }
}
