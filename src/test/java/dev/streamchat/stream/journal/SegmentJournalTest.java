package dev.streamchat.stream.journal;

import static dev.streamchat.stream.journal.Journals.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.stream.Chunk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@link Journal} contract as the stream store relies on it. */
class SegmentJournalTest extends VertxJournalTest {
  private Path dir;

  @BeforeEach
  void dir() throws Exception {
    dir = Files.createTempDirectory("journal");
  }

  @AfterEach
  void clean() throws Exception {
    Journals.deleteTree(dir);
  }

  @Test
  void refusesWritesThatBreakTheOrderAndStaysUsable() throws Exception {
    SegmentJournal j = Journals.open(vertx, dir, JournalOptions.of(Durability.OS));
    await(j.start(Journals.info("a")));
    assertRefused(() -> await(j.start(Journals.info("a"))), "already in the journal");
    assertRefused(() -> await(j.append("nope", List.of(new Chunk(1, Chunk.Kind.TEXT, "x")))), "no generation");
    assertRefused(() -> await(j.append("a", List.of(new Chunk(2, Chunk.Kind.TEXT, "x")))), "does not follow");
    await(j.append("a", List.of()));
    await(j.append("a", List.of(new Chunk(1, Chunk.Kind.TEXT, "one"), new Chunk(2, Chunk.Kind.REASONING, "two"))));
    assertRefused(() -> await(j.append("a", List.of(new Chunk(3, Chunk.Kind.TEXT, "x"), new Chunk(5, Chunk.Kind.TEXT,
        "y")))), "does not follow");
    await(j.end("a", Journals.done()));
    assertRefused(() -> await(j.append("a", List.of(new Chunk(3, Chunk.Kind.TEXT, "x")))), "has ended");
    assertRefused(() -> await(j.end("a", Journals.done())), "already ended");
    assertEquals(List.of(new Chunk(1, Chunk.Kind.TEXT, "one"), new Chunk(2, Chunk.Kind.REASONING, "two")),
        Journals.readAll(j, "a", 0, 100));
    await(j.close());
    SegmentJournal again = Journals.open(vertx, dir, JournalOptions.of(Durability.OS));
    assertEquals(2, await(again.read("a", 0, 0)).orElseThrow().lastSeq(), "refused writes left nothing behind");
    await(again.close());
  }

  private static void assertRefused(org.junit.jupiter.api.function.Executable call, String why) {
    ExecutionException e = assertThrows(ExecutionException.class, call);
    assertTrue(e.getCause().getMessage().contains(why), e.getCause().getMessage());
  }

  @Test
  void readsSlicesWithinACharacterBudget() throws Exception {
    SegmentJournal j = Journals.open(vertx, dir, JournalOptions.of(Durability.OS));
    try {
      assertEquals(Optional.empty(), await(j.read("unknown", 0, 10)));
      await(j.start(Journals.info("a")));
      Journal.Slice empty = await(j.read("a", 0, 10)).orElseThrow();
      assertEquals(0, empty.lastSeq());
      assertEquals(List.of(), empty.chunks());
      assertEquals(Journals.info("a"), empty.info());
      List<Chunk> c = List.of(new Chunk(1, Chunk.Kind.TEXT, "abc"), new Chunk(2, Chunk.Kind.TEXT, "defgh"),
          new Chunk(3, Chunk.Kind.TEXT, "ij"), new Chunk(4, Chunk.Kind.TEXT, "k"));
      await(j.append("a", c));
      assertEquals(c.subList(0, 1), await(j.read("a", 0, 7)).orElseThrow().chunks(), "3 + 5 chars exceed 7");
      assertEquals(c.subList(0, 2), await(j.read("a", 0, 8)).orElseThrow().chunks());
      assertEquals(c.subList(1, 2), await(j.read("a", 1, 1)).orElseThrow().chunks(), "at least one chunk");
      assertEquals(c.subList(2, 4), await(j.read("a", 2, 100)).orElseThrow().chunks());
      Journal.Slice status = await(j.read("a", 0, 0)).orElseThrow();
      assertEquals(List.of(), status.chunks(), "a status read carries no text");
      assertEquals(4, status.lastSeq());
      assertNull(status.end());
      assertEquals(List.of(), await(j.read("a", 4, 100)).orElseThrow().chunks());
    } finally {
      await(j.close());
    }
  }

  @Test
  void deletesOnlyEndedGenerationsAndTheDeleteSurvivesReopening() throws Exception {
    SegmentJournal j = Journals.open(vertx, dir, JournalOptions.of(Durability.OS));
    await(j.start(Journals.info("ended")));
    await(j.start(Journals.info("running")));
    await(j.append("ended", List.of(new Chunk(1, Chunk.Kind.TEXT, "x"))));
    await(j.end("ended", Journals.done()));
    await(j.delete(List.of("ended", "running", "unknown")));
    assertEquals(Optional.empty(), await(j.read("ended", 0, 10)));
    assertTrue(await(j.read("running", 0, 10)).isPresent(), "a running generation is not deleted");
    await(j.close());
    SegmentJournal again = new SegmentJournal(vertx, dir, JournalOptions.of(Durability.OS));
    List<Journal.Unfinished> unfinished = await(again.recover());
    assertEquals(List.of(new Journal.Unfinished(Journals.info("running"), 0)), unfinished);
    assertEquals(Optional.empty(), await(again.read("ended", 0, 10)));
    await(again.start(Journals.info("ended"))); // the id is free again
    await(again.close());
  }

  @Test
  void aLongInterleavedGenerationAcrossSegmentsReadsExactlyAfterAnySeq() throws Exception {
    JournalOptions options = JournalOptions.of(Durability.OS).withSegmentBytes(32 * 1024).withCompaction(false, 0);
    SegmentJournal j = Journals.open(vertx, dir, options);
    try {
      Random random = new Random(1);
      await(j.start(Journals.info("long")));
      await(j.start(Journals.info("other")));
      List<Chunk> long_ = new ArrayList<>();
      List<Chunk> other = new ArrayList<>();
      for (int i = 0; i < 6000; i++) {
        List<Chunk> c = Journals.chunks(random, long_.size() + 1L, 1);
        await(j.append("long", c));
        long_.addAll(c);
        if (i % 3 == 0) {
          List<Chunk> o = Journals.chunks(random, other.size() + 1L, 1 + random.nextInt(3));
          await(j.append("other", o));
          other.addAll(o);
        }
      }
      assertTrue(j.stats().segments() > 4, "spans segments: " + j.stats().segments());
      for (int s = 0; s <= long_.size(); s += 97) {
        Journal.Slice slice = await(j.read("long", s, 50)).orElseThrow();
        int n = slice.chunks().size();
        assertEquals(long_.subList(s, s + n), slice.chunks(), "after " + s);
        assertTrue(s == long_.size() || n > 0);
      }
      assertEquals(long_, Journals.readAll(j, "long", 0, 4096));
      assertEquals(other, Journals.readAll(j, "other", 0, 4096));
      await(j.close());
      j = Journals.open(vertx, dir, options);
      for (int s = 0; s <= long_.size(); s += 101) {
        List<Chunk> got = await(j.read("long", s, 10)).orElseThrow().chunks();
        assertEquals(long_.subList(s, s + got.size()), got, "after " + s + ", reopened");
        assertTrue(s == long_.size() || !got.isEmpty());
      }
    } finally {
      await(j.close());
    }
  }

  @Test
  void aCallBeforeRecoverWaitsForRecovery() throws Exception {
    SegmentJournal first = Journals.open(vertx, dir, JournalOptions.of(Durability.OS));
    await(first.start(Journals.info("left-running")));
    await(first.close());
    SegmentJournal j = new SegmentJournal(vertx, dir, JournalOptions.of(Durability.OS));
    await(j.start(Journals.info("new")));
    assertEquals(List.of(new Journal.Unfinished(Journals.info("left-running"), 0)), await(j.recover()),
        "recovery ran once, before the first call");
    await(j.close());
  }

  @Test
  void writesAfterCloseFailClearly() throws Exception {
    SegmentJournal j = Journals.open(vertx, dir, JournalOptions.of(Durability.OS));
    await(j.close());
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(j.start(Journals.info("a"))));
    assertInstanceOf(IllegalStateException.class, e.getCause());
  }
}
