package dev.streamchat.stream.journal;

import static dev.streamchat.stream.journal.Journals.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.stream.Chunk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A write the disk refuses fails with {@link JournalWriteException}, leaves the journal ending at
 * its last whole record, and the journal takes writes again once space frees: an end record
 * never lands glued onto half a chunk record.
 */
class DiskFullTest extends VertxJournalTest {

  @Test
  void aRefusedWriteIsCutBackAndLaterWritesSucceed() throws Exception {
    refusedWrite(false);
  }

  @Test
  void whenEvenTheCutBackFailsTheNextWriteCutsFirst() throws Exception {
    refusedWrite(true);
  }

  private void refusedWrite(boolean truncateFailsToo) throws Exception {
    Path dir = Files.createTempDirectory("journal-full");
    HookedChannels io = new HookedChannels();
    SegmentJournal j = Journals.open(vertx, dir, JournalOptions.of(Durability.OS).withChannels(io));
    try {
      Random random = new Random(5);
      List<Chunk> chunks = Journals.chunks(random, 1, 8);
      await(j.start(Journals.info("a")));
      await(j.append("a", chunks.subList(0, 4)));
      Path segment = Journals.lastSegment(dir);
      long whole = Files.size(segment);

      io.partialBytes = 5;
      io.failWrites.set(1);
      if (truncateFailsToo) io.failTruncates.set(1);
      ExecutionException failed = assertThrows(ExecutionException.class, () -> await(j.append("a", chunks.subList(4, 6))));
      JournalWriteException e = assertInstanceOf(JournalWriteException.class, failed.getCause());
      assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
      assertEquals(truncateFailsToo ? whole + 5 : whole, Files.size(segment));
      assertEquals(4, await(j.read("a", 0, 0)).orElseThrow().lastSeq(), "a failed append is not visible");

      // Space is back: the same chunks go in, then the end record, each after the last whole record.
      await(j.append("a", chunks.subList(4, 6)));
      await(j.append("a", chunks.subList(6, 8)));
      await(j.end("a", Journals.done()));
      assertEquals(chunks, Journals.readAll(j, "a", 0, 1000));
      await(j.close());

      SegmentJournal again = Journals.open(vertx, dir, JournalOptions.of(Durability.OS));
      assertEquals(chunks, Journals.readAll(again, "a", 0, 1000));
      assertEquals(Journals.done(), await(again.read("a", 0, 0)).orElseThrow().end());
      await(again.close());
    } finally {
      Journals.deleteTree(dir);
    }
  }

  @Test
  void aRealFullFilesystem() throws Exception {
    Path mount = Files.createTempDirectory("journal-tmpfs");
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount.toString())
        .redirectErrorStream(true).start();
    String said = new String(p.getInputStream().readAllBytes()).trim();
    boolean mounted = p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
    if (!mounted) Files.deleteIfExists(mount);
    Assumptions.assumeTrue(mounted, "skipped: cannot mount a 1 MiB tmpfs here (needs root): " + said);
    Path dir = mount.resolve("journal");
    try {
      // A filler that leaves the journal about 100 KiB, deleted later to free space.
      Path filler = mount.resolve("filler");
      try (FileChannel ch = FileChannel.open(filler, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.allocate(900 * 1024));
      }
      SegmentJournal j = Journals.open(vertx, dir, JournalOptions.of(Durability.DISK));
      await(j.start(Journals.info("a")));
      String kib = "x".repeat(1023) + "\n";
      List<Chunk> stored = new ArrayList<>();
      JournalWriteException refused = null;
      for (int seq = 1; seq <= 2000 && refused == null; seq++) {
        Chunk c = new Chunk(seq, Chunk.Kind.TEXT, kib);
        try {
          await(j.append("a", List.of(c)));
          stored.add(c);
        } catch (ExecutionException e) {
          refused = assertInstanceOf(JournalWriteException.class, e.getCause());
        }
      }
      assertTrue(refused != null, "the 1 MiB filesystem filled up");
      assertTrue(refused.getMessage().contains("No space left on device"), refused.getMessage());
      assertTrue(stored.size() > 10, "the journal had room before: " + stored.size());
      assertThrows(ExecutionException.class, () -> await(j.ping()), "not ready while the disk is full");
      assertEquals(stored, Journals.readAll(j, "a", 0, 1 << 20));

      Files.delete(filler);
      await(j.ping());
      Chunk next = new Chunk(stored.size() + 1L, Chunk.Kind.TEXT, kib);
      await(j.append("a", List.of(next)));
      stored.add(next);
      await(j.end("a", Journals.done()));
      await(j.close());

      SegmentJournal again = Journals.open(vertx, dir, JournalOptions.of(Durability.DISK));
      assertEquals(stored, Journals.readAll(again, "a", 0, 1 << 20));
      assertEquals(Journals.done(), await(again.read("a", 0, 0)).orElseThrow().end());
      await(again.close());
    } finally {
      unmount(mount);
    }
  }

  private static void unmount(Path mount) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("umount", mount.toString()).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    p.waitFor(20, TimeUnit.SECONDS);
    Files.deleteIfExists(mount);
  }
}
