package dev.streamchat.stream.journal;

import static dev.streamchat.stream.journal.Journals.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.streamchat.stream.Chunk;
import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * In {@code disk} mode a power cut keeps what was forced and may keep any part of what was not.
 * The cut is simulated by keeping only the forced prefix of the segment (as the test's channel
 * recorded it at each force), plus some, none or garbage of the bytes written after it.
 */
class PowerCutTest extends VertxJournalTest {

  @Test
  void everyCompletedAppendSurvivesAPowerCutAndNothingHalfWrittenDoes() throws Exception {
    Path base = Files.createTempDirectory("journal-power");
    Path dir = base.resolve("live");
    HookedChannels io = new HookedChannels();
    SegmentJournal j = Journals.open(vertx, dir, JournalOptions.of(Durability.DISK).withChannels(io));
    CountDownLatch forceGate = new CountDownLatch(1);
    Future<Void> unforced = null;
    try {
      Random random = new Random(11);
      List<Chunk> chunks = Journals.chunks(random, 1, 12);
      await(j.start(Journals.info("a")));
      for (int i = 0; i < 10; i += 2) await(j.append("a", chunks.subList(i, i + 2)));
      Path segment = Journals.lastSegment(dir);
      long forced = io.forced.get(segment);
      assertEquals(Files.size(segment), forced, "in disk mode a completed append is forced");

      // The next write reaches the OS, but the power goes before its force.
      io.forceGate = forceGate;
      unforced = j.append("a", chunks.subList(10, 12));
      while (Files.size(segment) == forced) Thread.sleep(1);
      assertFalse(unforced.isComplete(), "an append is not done before its force");
      long written = Files.size(segment);
      long tail = written - forced;

      long[] kept = {0, 1, 7, tail / 2, tail - 1, tail, -1};
      for (long k : kept) {
        Path cut = base.resolve("cut" + k);
        Journals.copyTree(dir, cut);
        Path seg = cut.resolve(segment.getFileName());
        if (k >= 0) {
          Journals.truncate(seg, forced + k);
        } else { // the unforced pages came back as garbage
          byte[] junk = new byte[(int) tail];
          random.nextBytes(junk);
          try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(junk), forced);
          }
        }
        SegmentJournal r = new SegmentJournal(vertx, cut, JournalOptions.of(Durability.DISK));
        List<Journal.Unfinished> unfinished = await(r.recover());
        long expected = k == tail ? 12 : 10; // only a whole record counts
        assertEquals(expected, unfinished.get(0).lastSeq(), "kept " + k + " of " + tail + " unforced bytes");
        assertEquals(chunks.subList(0, (int) expected), Journals.readAll(r, "a", 0, 1000));
        List<Chunk> next = new ArrayList<>(List.of(new Chunk(expected + 1, Chunk.Kind.TEXT, " after")));
        await(r.append("a", next));
        await(r.close());
        SegmentJournal again = Journals.open(vertx, cut, JournalOptions.of(Durability.OS));
        assertEquals(expected + 1, await(again.read("a", 0, 0)).orElseThrow().lastSeq());
        await(again.close());
      }
    } finally {
      forceGate.countDown();
      if (unforced != null) await(unforced);
      await(j.close());
      Journals.deleteTree(base);
    }
  }

  @Test
  void osModeNeverForces() throws Exception {
    Path dir = Files.createTempDirectory("journal-os");
    SegmentJournal j = Journals.open(vertx, dir, JournalOptions.of(Durability.OS));
    try {
      await(j.start(Journals.info("a")));
      await(j.append("a", Journals.chunks(new Random(1), 1, 5)));
      assertEquals(0, j.stats().forces());
    } finally {
      await(j.close());
      Journals.deleteTree(dir);
    }
  }
}
