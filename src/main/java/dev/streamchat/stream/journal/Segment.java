package dev.streamchat.stream.journal;

import java.nio.channels.FileChannel;
import java.nio.file.Path;

/** One segment file; {@code visibleEnd} is where its last whole written (and forced) record ends. */
final class Segment {
  final long no;
  final Path path;
  final FileChannel channel;
  volatile long visibleEnd;

  Segment(long no, Path path, FileChannel channel, long visibleEnd) {
    this.no = no;
    this.path = path;
    this.channel = channel;
    this.visibleEnd = visibleEnd;
  }
}
