package dev.streamchat.stream.journal;

import static dev.streamchat.stream.journal.Journals.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.streamchat.model.FinishReason;
import dev.streamchat.stream.Chunk;
import dev.streamchat.stream.GenerationEnd;
import dev.streamchat.stream.GenerationInfo;
import dev.streamchat.stream.GenerationState;
import dev.streamchat.stream.GenerationStatus;
import dev.streamchat.stream.JournalStreamStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The import of the previous release's per-answer logs: exact (numbering, kinds, multi-byte text,
 * the end record), in several appends for a long answer, and resumable: a start that stopped
 * halfway through a log (the file still there, part of it in the journal) finishes it once.
 */
class LegacyStreamLogsTest extends VertxJournalTest {

  @Test
  void aLogWhoseImportWasCutShortIsFinishedOnceAndReadsBackExactly() throws Exception {
    Path data = Files.createTempDirectory("legacy-import");
    try {
      GenerationInfo info = Journals.info("old-1");
      List<Chunk> chunks = Journals.chunks(new Random(11), 1, 1_300);
      GenerationEnd end = Journals.done();
      Path streams = Files.createDirectories(data.resolve("streams"));
      Files.writeString(streams.resolve("old-1.jsonl"), PreviousReleaseLogs.log(info, chunks, end), StandardCharsets.UTF_8);

      SegmentJournal crashed = Journals.open(vertx, data.resolve("journal"), JournalOptions.of(Durability.OS));
      // The last start stopped after copying part of the log (no end record yet); the file is still there.
      await(crashed.start(info));
      await(crashed.append("old-1", chunks.subList(0, 700)));
      await(crashed.close());

      SegmentJournal journal = new SegmentJournal(vertx, data.resolve("journal"), JournalOptions.of(Durability.OS));
      JournalStreamStore store = new JournalStreamStore(journal);
      assertEquals(1, await(LegacyStreamLogs.importInto(vertx, streams, journal)));
      assertEquals(List.of(), await(store.recover()), "the finished import is not taken for an interrupted answer");
      assertEquals(chunks, Journals.readAll(journal, "old-1", 0, 5_000), "every chunk once, in order");
      Journal.Slice s = await(journal.read("old-1", Long.MAX_VALUE, 0)).orElseThrow();
      assertEquals(info, s.info());
      assertEquals(end, s.end());
      GenerationStatus status = await(store.status("old-1"));
      assertEquals(GenerationState.DONE, status.state());
      assertEquals(FinishReason.STOP, status.finishReason());
      assertFalse(Files.exists(streams), "the imported files and their folder are gone");
      assertEquals(0, await(LegacyStreamLogs.importInto(vertx, streams, journal)), "nothing is imported twice");
      await(store.close());
    } finally {
      Journals.deleteTree(data);
    }
  }
}
