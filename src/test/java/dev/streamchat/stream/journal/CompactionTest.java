package dev.streamchat.stream.journal;

import static dev.streamchat.stream.journal.Journals.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.stream.Chunk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Compaction rewrites ended generations as a few records and drops deleted ones; a read after
 * any seq gives exactly the same chunks before and after it (and after reopening), and the
 * journal shrinks to little more than its text.
 */
class CompactionTest extends VertxJournalTest {

  @Test
  void replayAfterEverySeqIsTheSameBeforeAndAfterCompactionAndTheJournalShrinks() throws Exception {
    Path dir = Files.createTempDirectory("journal-compact");
    JournalOptions options = JournalOptions.of(Durability.OS).withSegmentBytes(1536).withCompaction(false, 0);
    SegmentJournal j = Journals.open(vertx, dir, options);
    try {
      Random random = new Random(42);
      Map<String, List<Chunk>> expected = new LinkedHashMap<>();
      for (int g = 0; g < 6; g++) {
        await(j.start(Journals.info("g" + g)));
        expected.put("g" + g, new ArrayList<>());
      }
      // Interleaved, one token-sized chunk per append as a model streams them.
      for (int round = 0; round < 120; round++) {
        for (int g = 0; g < 6; g++) {
          if (g < 4 && round >= 60 + 15 * g) continue; // g0..g3 end at different rounds
          List<Chunk> mine = expected.get("g" + g);
          List<Chunk> c = Journals.chunks(random, mine.size() + 1L, 1);
          await(j.append("g" + g, c));
          mine.addAll(c);
        }
        for (int g = 0; g < 4; g++) {
          if (round == 59 + 15 * g) await(j.end("g" + g, Journals.done()));
        }
      }
      await(j.end("g4", Journals.done()));
      await(j.delete(List.of("g4")));
      expected.remove("g4");
      assertReplaysExactly(j, expected);
      assertEquals(Optional.empty(), await(j.read("g4", 0, 100)), "a deleted generation is gone");

      SegmentJournal.Stats before = j.stats();
      await(j.compact());
      SegmentJournal.Stats after = j.stats();
      double ratioBefore = (double) before.diskBytes() / before.textBytes();
      double ratioAfter = (double) after.diskBytes() / after.textBytes();
      System.out.printf("compaction: %d bytes in %d segments -> %d bytes in %d segments for %d bytes of text"
              + " (%.2f -> %.2f bytes per byte of text)%n", before.diskBytes(), before.segments(), after.diskBytes(),
          after.segments(), after.textBytes(), ratioBefore, ratioAfter);
      assertTrue(before.segments() > 5, "the journal rolled over several segments");
      assertTrue(after.segments() <= 2, "one compacted segment and the active one: " + after.segments());
      assertTrue(ratioAfter < 1.5, "compacted journal is little more than its text: " + ratioAfter);
      assertTrue(ratioBefore > 2.5 * ratioAfter, "compaction shrinks: " + ratioBefore + " -> " + ratioAfter);
      assertReplaysExactly(j, expected);
      assertEquals(Optional.empty(), await(j.read("g4", 0, 100)));

      // The generation still running goes on in the new segments, ends, and is compacted in turn.
      List<Chunk> g5 = expected.get("g5");
      for (int i = 0; i < 40; i++) {
        List<Chunk> c = Journals.chunks(random, g5.size() + 1L, 1);
        await(j.append("g5", c));
        g5.addAll(c);
      }
      await(j.end("g5", Journals.done()));
      assertReplaysExactly(j, expected);
      await(j.compact());
      assertReplaysExactly(j, expected);
      assertTrue((double) j.stats().diskBytes() / j.stats().textBytes() < 1.5);
      await(j.close());

      SegmentJournal reopened = Journals.open(vertx, dir, options);
      assertReplaysExactly(reopened, expected);
      assertEquals(Optional.empty(), await(reopened.read("g4", 0, 100)));
      for (String id : expected.keySet()) {
        assertEquals(Journals.done(), await(reopened.read(id, 0, 0)).orElseThrow().end());
        assertEquals(Journals.info(id), await(reopened.read(id, 0, 0)).orElseThrow().info());
      }
      j = reopened;
    } finally {
      await(j.close());
      Journals.deleteTree(dir);
    }
  }

  @Test
  void compactionStartsByItselfAndKeepsTheJournalNearItsText() throws Exception {
    Path dir = Files.createTempDirectory("journal-auto");
    JournalOptions options = JournalOptions.of(Durability.OS).withSegmentBytes(16 * 1024)
        .withCompaction(true, 8 * 1024);
    SegmentJournal j = Journals.open(vertx, dir, options);
    try {
      Random random = new Random(9);
      Map<String, List<Chunk>> expected = new LinkedHashMap<>();
      for (int g = 0; g < 40; g++) {
        String id = "a" + g;
        await(j.start(Journals.info(id)));
        List<Chunk> chunks = Journals.chunks(random, 1, 300);
        for (Chunk c : chunks) await(j.append(id, List.of(c)));
        await(j.end(id, Journals.done()));
        expected.put(id, chunks);
      }
      // A compaction the last write started is already marked when its future completes: wait for it.
      long deadline = System.currentTimeMillis() + 20_000;
      while (j.stats().compacting() && System.currentTimeMillis() < deadline) Thread.sleep(10);
      SegmentJournal.Stats s = j.stats();
      System.out.printf("auto compaction: %d run(s), %d bytes for %d bytes of text%n", s.compactions(),
          s.diskBytes(), s.textBytes());
      assertTrue(s.compactions() > 0, "compaction ran by itself");
      assertTrue(s.diskBytes() < 3 * s.textBytes() + 16 * 1024, "bounded: " + s.diskBytes() + " for " + s.textBytes());
      for (Map.Entry<String, List<Chunk>> e : expected.entrySet()) {
        assertEquals(e.getValue(), Journals.readAll(j, e.getKey(), 0, 1 << 20));
        assertEquals(e.getValue().subList(150, 300), Journals.readAll(j, e.getKey(), 150, 64));
      }
    } finally {
      await(j.close());
      Journals.deleteTree(dir);
    }
  }

  @Test
  void aReadWhoseSegmentsAreCompactedAwayMidReadFindsTheNewOnes() throws Exception {
    Path dir = Files.createTempDirectory("journal-moved");
    SegmentJournal j = Journals.open(vertx, dir, JournalOptions.of(Durability.OS).withSegmentBytes(1024)
        .withCompaction(false, 0));
    try {
      List<Chunk> chunks = Journals.chunks(new Random(2), 1, 400);
      await(j.start(Journals.info("a")));
      for (Chunk c : chunks) await(j.append("a", List.of(c)));
      await(j.end("a", Journals.done()));
      Path firstSegment;
      try (var files = Files.list(dir)) {
        firstSegment = files.filter(f -> f.toString().endsWith(".seg")).sorted().findFirst().orElseThrow();
      }
      // The read has found its position in the old segments; compaction replaces them before it scans.
      j.beforeScan = () -> {
        j.beforeScan = () -> { };
        try {
          await(j.compact());
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      };
      assertEquals(chunks.subList(100, 400), await(j.read("a", 100, 1 << 20)).orElseThrow().chunks());
      assertTrue(!Files.exists(firstSegment), "the segments the read first looked at are gone");
      assertEquals(1, j.stats().compactions());
    } finally {
      await(j.close());
      Journals.deleteTree(dir);
    }
  }

  @Test
  void chunksOfAnySizeCompactIntoRecordsNoLargerThanTheyCameIn() throws Exception {
    Path dir = Files.createTempDirectory("journal-big");
    SegmentJournal j = Journals.open(vertx, dir, JournalOptions.of(Durability.OS).withCompaction(false, 0));
    try {
      List<Chunk> chunks = new ArrayList<>(Journals.chunks(new Random(8), 1, 1000));
      chunks.add(new Chunk(1001, Chunk.Kind.TEXT, "é".repeat(8 * 1024 * 1024 - 100))); // 16 MiB less a little, as bytes
      chunks.addAll(Journals.chunks(new Random(9), 1002, 10));
      await(j.start(Journals.info("big")));
      await(j.append("big", chunks.subList(0, 1000)));
      await(j.append("big", chunks.subList(1000, 1001)));
      await(j.append("big", chunks.subList(1001, 1011)));
      await(j.end("big", Journals.done()));
      await(j.compact());
      assertEquals(chunks, Journals.readAll(j, "big", 0, 1 << 24));
      assertEquals(chunks.subList(1001, 1011), Journals.readAll(j, "big", 1001, 100));
    } finally {
      await(j.close());
      Journals.deleteTree(dir);
    }
  }

  @Test
  void aCrashDuringOrJustAfterCompactionLosesNothing() throws Exception {
    Path base = Files.createTempDirectory("journal-crash-compact");
    Path dir = base.resolve("journal");
    JournalOptions options = JournalOptions.of(Durability.OS).withSegmentBytes(1024).withCompaction(false, 0);
    SegmentJournal j = Journals.open(vertx, dir, options);
    try {
      Random random = new Random(4);
      Map<String, List<Chunk>> expected = new LinkedHashMap<>();
      for (String id : List.of("ended", "deleted", "running")) {
        await(j.start(Journals.info(id)));
        expected.put(id, Journals.chunks(random, 1, 150));
        for (Chunk c : expected.get(id)) await(j.append(id, List.of(c)));
      }
      await(j.end("ended", Journals.done()));
      await(j.end("deleted", Journals.done()));
      await(j.delete(List.of("deleted")));
      expected.remove("deleted");
      Path before = base.resolve("before");
      Journals.copyTree(dir, before);
      await(j.compact());
      List<Chunk> more = Journals.chunks(random, 151, 5);
      await(j.append("running", more));
      expected.get("running").addAll(more);
      await(j.close());

      // Killed after the compacted segment was in place but before the old ones were deleted.
      Path late = base.resolve("late");
      Journals.copyTree(dir, late);
      try (var old = Files.list(before)) {
        for (Path f : (Iterable<Path>) old::iterator) {
          if (!Files.exists(late.resolve(f.getFileName()))) Files.copy(f, late.resolve(f.getFileName()));
        }
      }
      // Killed while writing the compacted segment: only its unfinished temporary file is there.
      Path early = base.resolve("early");
      Journals.copyTree(before, early);
      Files.write(early.resolve("000000000099.seg.compacting"), new byte[] {1, 2, 3});

      for (Path crashed : List.of(late, early)) {
        SegmentJournal r = Journals.open(vertx, crashed, options);
        assertEquals(Optional.empty(), await(r.read("deleted", 0, 10)), crashed.getFileName().toString());
        List<Chunk> running = crashed == early ? expected.get("running").subList(0, 150) : expected.get("running");
        assertEquals(running, Journals.readAll(r, "running", 0, 100), crashed.getFileName().toString());
        assertEquals(expected.get("ended"), Journals.readAll(r, "ended", 0, 100), crashed.getFileName().toString());
        await(r.close());
        try (var left = Files.list(crashed)) {
          List<String> names = left.map(f -> f.getFileName().toString()).sorted().toList();
          assertTrue(names.stream().noneMatch(n -> n.endsWith(".compacting")), names.toString());
          if (crashed == late) assertTrue(names.size() <= 2, "the replaced segments were removed: " + names);
        }
      }
    } finally {
      Journals.deleteTree(base);
    }
  }

  /** For every generation and every seq s, the chunks read after s are exactly those after s. */
  private static void assertReplaysExactly(Journal j, Map<String, List<Chunk>> expected) throws Exception {
    for (Map.Entry<String, List<Chunk>> e : expected.entrySet()) {
      List<Chunk> all = e.getValue();
      for (int s = 0; s <= all.size(); s++) {
        assertEquals(all.subList(s, all.size()), Journals.readAll(j, e.getKey(), s, 200),
            e.getKey() + " after " + s);
      }
    }
  }
}
