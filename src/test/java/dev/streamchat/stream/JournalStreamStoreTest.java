package dev.streamchat.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.model.FinishReason;
import dev.streamchat.model.Usage;
import dev.streamchat.stream.journal.PerFileJournal;
import dev.streamchat.testing.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The stream store over the per-file journal: after a crash, what was fully written is kept, a half-written record is not. */
class JournalStreamStoreTest {

  private Vertx vertx;
  private Path dir;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    dir = Files.createTempDirectory("streamchat-streams");
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    TestServer.deleteTree(dir);
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static GenerationInfo info(String id) {
    return new GenerationInfo(id, "c-1", "owner", "demo", System.currentTimeMillis());
  }

  private JournalStreamStore store() {
    return new JournalStreamStore(new PerFileJournal(vertx, dir));
  }

  @Test
  void aTornLastRecordIsDroppedAndTheInterruptedLogReadsBackWhole() throws Exception {
    JournalStreamStore crashed = store();
    await(crashed.start(info("g-1")));
    await(crashed.append("g-1", List.of(new Chunk(1, Chunk.Kind.TEXT, "Hello"))));
    await(crashed.append("g-1", List.of(new Chunk(2, Chunk.Kind.TEXT, " world"))));
    // The process dies in the middle of writing the third record (no close, no end record).
    Files.writeString(dir.resolve("streams/g-1.jsonl"), "{\"t\":\"c\",\"seq\":3,\"k\":\"t\",\"v\":\"!",
        StandardCharsets.UTF_8, StandardOpenOption.APPEND);

    assertEquals(1, await(store().recover()).size());
    JournalStreamStore third = store();
    assertTrue(await(third.recover()).isEmpty(), "an interrupted log is settled once, not at every start");
    Answer read = await(third.answer("g-1"));
    assertEquals(GenerationState.INTERRUPTED, read.status().state());
    assertEquals("Hello world", read.text());
    assertEquals(2, read.status().lastSeq());
  }

  @Test
  void finishedLogsAreLeftAloneAndKeepTheirFinishReason() throws Exception {
    JournalStreamStore store = store();
    await(store.start(info("g-2")));
    await(store.append("g-2", List.of(new Chunk(1, Chunk.Kind.TEXT, "done"))));
    await(store.finish("g-2", new GenerationEnd(GenerationState.DONE, null, FinishReason.LENGTH, new Usage(3, 1),
        System.currentTimeMillis(), 0)));
    long size = Files.size(dir.resolve("streams/g-2.jsonl"));
    JournalStreamStore next = store();
    assertTrue(await(next.recover()).isEmpty());
    assertEquals(size, Files.size(dir.resolve("streams/g-2.jsonl")));
    GenerationStatus status = await(next.status("g-2"));
    assertEquals(FinishReason.LENGTH, status.finishReason());
    assertEquals(1, status.completionTokens());
    assertTrue(status.firstChunkAt() > 0, "the first chunk's time is kept in the end record");
  }

  @Test
  void aRunningLogIsReadAfterAnyCursorWithinTheBudget() throws Exception {
    JournalStreamStore store = store();
    await(store.start(info("g-3")));
    long seq = 0;
    for (int batch = 0; batch < 10; batch++) {
      List<Chunk> chunks = new java.util.ArrayList<>();
      for (int i = 0; i < 50; i++) chunks.add(new Chunk(++seq, Chunk.Kind.TEXT, "t" + seq + " "));
      assertEquals(seq, await(store.append("g-3", chunks)));
    }
    for (long after : new long[] {0, 1, 63, 64, 65, 200, 499, 500}) {
      StreamStore.Slice slice = await(store.read("g-3", after, 40));
      assertEquals(500, slice.status().lastSeq());
      if (after == 500) {
        assertTrue(slice.chunks().isEmpty());
        continue;
      }
      assertEquals(after + 1, slice.chunks().get(0).seq(), "the slice starts right after " + after);
      int chars = slice.chunks().stream().mapToInt(c -> c.text().length()).sum();
      assertTrue(chars <= 40, "within the budget: " + chars);
      for (int i = 1; i < slice.chunks().size(); i++) {
        assertEquals(slice.chunks().get(i - 1).seq() + 1, slice.chunks().get(i).seq());
      }
    }
  }
}
