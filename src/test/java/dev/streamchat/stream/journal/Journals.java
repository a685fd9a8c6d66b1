package dev.streamchat.stream.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamchat.model.FinishReason;
import dev.streamchat.model.Usage;
import dev.streamchat.stream.Chunk;
import dev.streamchat.stream.GenerationEnd;
import dev.streamchat.stream.GenerationInfo;
import dev.streamchat.stream.GenerationState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** What the journal tests share: opening, waiting, generating chunks, reading everything after a seq. */
final class Journals {
  private static final String[] PIECES = {"a", " the", " stream", "é", "🙂", "\n", " 日本", "—", "x", " log"};

  private Journals() {
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  static SegmentJournal open(Vertx vertx, Path dir, JournalOptions options) throws Exception {
    SegmentJournal j = new SegmentJournal(vertx, dir, options);
    await(j.recover());
    return j;
  }

  static GenerationInfo info(String id) {
    return new GenerationInfo(id, "conv-" + id, "owner-" + id, "demo", 1_700_000_000_000L);
  }

  static GenerationEnd done() {
    return new GenerationEnd(GenerationState.DONE, null, FinishReason.STOP, new Usage(12, 34), 1_700_000_009_000L,
        1_700_000_001_000L);
  }

  /** Token-sized chunks numbered from {@code firstSeq}, text and reasoning, multi-byte characters included. */
  static List<Chunk> chunks(Random random, long firstSeq, int n) {
    List<Chunk> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      StringBuilder t = new StringBuilder();
      int parts = 1 + random.nextInt(3);
      for (int p = 0; p < parts; p++) t.append(PIECES[random.nextInt(PIECES.length)]);
      out.add(new Chunk(firstSeq + i, random.nextInt(8) == 0 ? Chunk.Kind.REASONING : Chunk.Kind.TEXT, t.toString()));
    }
    return out;
  }

  /** Every chunk after {@code after}, read in slices of at most {@code pageChars} characters. */
  static List<Chunk> readAll(Journal j, String id, long after, int pageChars) throws Exception {
    List<Chunk> got = new ArrayList<>();
    long cursor = after;
    while (true) {
      Optional<Journal.Slice> s = await(j.read(id, cursor, pageChars));
      if (s.isEmpty() || s.get().chunks().isEmpty()) return got;
      for (Chunk c : s.get().chunks()) {
        assertEquals(cursor + 1, c.seq(), "slices continue the numbering");
        got.add(c);
        cursor = c.seq();
      }
    }
  }

  static void copyTree(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(f)) Files.copy(f, to.resolve(f.getFileName()));
      }
    }
  }

  static void truncate(Path file, long size) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(size);
    }
  }

  static Path lastSegment(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> segs = files.filter(f -> f.getFileName().toString().endsWith(".seg")).sorted().toList();
      return segs.get(segs.size() - 1);
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.sorted((a, b) -> b.compareTo(a)).toList()) Files.deleteIfExists(f);
    }
  }
}
