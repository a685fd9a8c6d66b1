package dev.streamchat.stream.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * How a {@link SegmentJournal} behaves.
 *
 * @param durability when a write counts as done
 * @param segmentBytes a segment is closed and a new one started once it is this large
 * @param minGarbageBytes compaction starts once the bytes no longer needed exceed both this and the
 *     bytes still needed (so the journal stays within about twice what it holds, and each byte is
 *     rewritten a bounded number of times)
 * @param autoCompact whether ending and deleting generations start compaction by themselves
 * @param channels opens segment files (tests put a failing or counting channel here)
 */
public record JournalOptions(Durability durability, long segmentBytes, long minGarbageBytes,
    boolean autoCompact, Channels channels) {

  /** Opens a segment file for reading and writing, creating it if absent. */
  public interface Channels {
    FileChannel open(Path path) throws IOException;
  }

  public static final Channels FILES = path -> FileChannel.open(path,
      StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);

  public static JournalOptions of(Durability durability) {
    return new JournalOptions(durability, 64L * 1024 * 1024, 8L * 1024 * 1024, true, FILES);
  }

  public JournalOptions withSegmentBytes(long bytes) {
    return new JournalOptions(durability, bytes, minGarbageBytes, autoCompact, channels);
  }

  public JournalOptions withCompaction(boolean auto, long minGarbage) {
    return new JournalOptions(durability, segmentBytes, minGarbage, auto, channels);
  }

  public JournalOptions withChannels(Channels opener) {
    return new JournalOptions(durability, segmentBytes, minGarbageBytes, autoCompact, opener);
  }
}
