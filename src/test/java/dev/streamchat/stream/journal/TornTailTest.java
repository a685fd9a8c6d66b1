package dev.streamchat.stream.journal;

import static dev.streamchat.stream.journal.Journals.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.stream.Chunk;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A crash can cut the journal's last record at any byte (or leave zeroes where it should be).
 * Recovery keeps every whole record before it, and the next write lands after the last whole
 * record, never glued onto the torn one.
 */
class TornTailTest extends VertxJournalTest {

  @Test
  void aChunkRecordTornAtEveryByteLosesOnlyThatRecord() throws Exception {
    tornAtEveryByte(false);
  }

  @Test
  void anEndRecordTornAtEveryByteLeavesTheAnswerUnfinishedWithAllItsChunks() throws Exception {
    tornAtEveryByte(true);
  }

  private void tornAtEveryByte(boolean lastIsEnd) throws Exception {
    Path base = Files.createTempDirectory("journal-torn");
    try {
      Path original = base.resolve("original");
      Random random = new Random(7);
      SegmentJournal j = Journals.open(vertx, original, JournalOptions.of(Durability.OS));
      List<Chunk> a = Journals.chunks(random, 1, 30);
      await(j.start(Journals.info("a")));
      await(j.start(Journals.info("b")));
      for (int i = 0; i < a.size(); i += 3) await(j.append("a", a.subList(i, i + 3)));
      await(j.end("a", Journals.done()));
      List<Chunk> b = Journals.chunks(random, 1, 12);
      await(j.append("b", b.subList(0, 9)));
      long wholeBefore = Files.size(Journals.lastSegment(original));
      if (lastIsEnd) {
        await(j.append("b", b.subList(9, 12)));
        wholeBefore = Files.size(Journals.lastSegment(original));
        await(j.end("b", Journals.done()));
      } else {
        await(j.append("b", b.subList(9, 12)));
      }
      await(j.close());
      Path segment = Journals.lastSegment(original);
      long full = Files.size(segment);
      long bWhole = lastIsEnd ? 12 : 9;
      assertTrue(full - wholeBefore > 8, "the last record has a header and a body");

      for (long cut = wholeBefore; cut < full; cut++) {
        for (boolean zeroes : new boolean[] {false, true}) {
          Path copy = base.resolve("cut-" + cut + (zeroes ? "-zeroes" : ""));
          Journals.copyTree(original, copy);
          Path seg = copy.resolve(segment.getFileName());
          Journals.truncate(seg, cut);
          if (zeroes) {
            try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
              ch.write(ByteBuffer.allocate((int) (full - cut)), cut);
            }
          }
          String at = "cut at byte " + cut + " of " + full + (zeroes ? " (rest zeroes)" : "");

          SegmentJournal r = new SegmentJournal(vertx, copy, JournalOptions.of(Durability.OS));
          List<Journal.Unfinished> unfinished = await(r.recover());
          assertEquals(1, unfinished.size(), at);
          assertEquals("b", unfinished.get(0).info().id(), at);
          assertEquals(bWhole, unfinished.get(0).lastSeq(), at);
          assertEquals(a, Journals.readAll(r, "a", 0, 1000), at);
          assertEquals(b.subList(0, (int) bWhole), Journals.readAll(r, "b", 0, 1000), at);
          assertNull(await(r.read("b", 0, 0)).orElseThrow().end(), at);
          assertEquals(wholeBefore, Files.size(seg), at + ": cut back to the last whole record");

          // The next writes land after the last whole record.
          List<Chunk> more = Journals.chunks(random, bWhole + 1, 2);
          await(r.append("b", more));
          await(r.end("b", Journals.done()));
          await(r.close());

          SegmentJournal again = Journals.open(vertx, copy, JournalOptions.of(Durability.OS));
          List<Chunk> expected = new ArrayList<>(b.subList(0, (int) bWhole));
          expected.addAll(more);
          assertEquals(expected, Journals.readAll(again, "b", 0, 1000), at);
          assertEquals(Journals.done(), await(again.read("b", 0, 0)).orElseThrow().end(), at);
          assertEquals(a, Journals.readAll(again, "a", 0, 1000), at);
          await(again.close());
          Journals.deleteTree(copy);
        }
      }
    } finally {
      Journals.deleteTree(base);
    }
  }
}
