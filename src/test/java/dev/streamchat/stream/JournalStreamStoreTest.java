package dev.streamchat.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.model.FinishReason;
import dev.streamchat.model.Usage;
import dev.streamchat.stream.journal.Durability;
import dev.streamchat.stream.journal.Journal;
import dev.streamchat.stream.journal.JournalOptions;
import dev.streamchat.stream.journal.SegmentJournal;
import dev.streamchat.testing.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiPredicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The stream store over the segment journal, across what a killed process leaves behind: every
 * append a reader could see is kept, a half-written record is not, an interrupted answer is
 * settled once, a finished one keeps its end.
 */
class JournalStreamStoreTest {

  private Vertx vertx;
  private Path dir;
  private final List<SegmentJournal> opened = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    dir = Files.createTempDirectory("streamchat-streams");
  }

  @AfterEach
  void tearDown() throws Exception {
    for (SegmentJournal j : opened) await(j.close());
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    TestServer.deleteTree(dir);
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** An answer the model ended itself. */
  private static GenerationEnd done() {
    return new GenerationEnd(GenerationState.DONE, null, FinishReason.STOP, Usage.UNKNOWN, System.currentTimeMillis(), 0);
  }

  /** {@code f} fails as the store says of an id it does not know. */
  private static void assertNotFound(Future<?> f, String what) throws Exception {
    Throwable failure = f.toCompletionStage().toCompletableFuture().handle((ok, err) -> err).get(10, TimeUnit.SECONDS);
    Throwable why = failure instanceof java.util.concurrent.CompletionException ? failure.getCause() : failure;
    assertTrue(why instanceof StreamStore.NotFound, what + ": " + failure);
  }

  private static GenerationInfo info(String id) {
    return new GenerationInfo(id, "c-1", "owner", "demo", System.currentTimeMillis());
  }

  private SegmentJournal journal(Path at) {
    SegmentJournal j = new SegmentJournal(vertx, at, JournalOptions.of(Durability.OS));
    opened.add(j);
    return j;
  }

  private JournalStreamStore store() {
    return new JournalStreamStore(journal(dir));
  }

  /** What a process killed now leaves: the journal's files as the OS has them, without a close. */
  private Path killedCopy() throws Exception {
    Path copy = Files.createTempDirectory(dir, "killed-");
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".seg")).toList()) {
        Files.copy(f, copy.resolve(f.getFileName()));
      }
    }
    return copy;
  }

  private static Path onlySegment(Path in) throws Exception {
    try (Stream<Path> files = Files.list(in)) {
      List<Path> segs = files.filter(f -> f.getFileName().toString().endsWith(".seg")).toList();
      assertEquals(1, segs.size(), "one segment: " + segs);
      return segs.get(0);
    }
  }

  @Test
  void everyAppendThatSucceededSurvivesTheProcessBeingKilled() throws Exception {
    JournalStreamStore store = store();
    await(store.start(info("g-0")));
    StringBuilder shown = new StringBuilder();
    for (int seq = 1; seq <= 5; seq++) {
      String piece = " piece" + seq;
      assertEquals(seq, await(store.append("g-0", List.of(new Chunk(seq, Chunk.Kind.TEXT, piece)))));
      shown.append(piece); // a reader may see it from now on, so a kill now must keep it
      JournalStreamStore afterKill = new JournalStreamStore(journal(killedCopy()));
      assertEquals(1, await(afterKill.recover()).size());
      Answer kept = await(afterKill.answer("g-0"));
      assertEquals(shown.toString(), kept.text());
      assertEquals(GenerationState.INTERRUPTED, kept.status().state());
    }
  }

  @Test
  void aTornLastRecordIsDroppedAndTheInterruptedLogReadsBackWhole() throws Exception {
    Path crashedDir = dir.resolve("crashed");
    SegmentJournal crashedJournal = journal(crashedDir);
    JournalStreamStore crashed = new JournalStreamStore(crashedJournal);
    await(crashed.start(info("g-1")));
    await(crashed.append("g-1", List.of(new Chunk(1, Chunk.Kind.TEXT, "Hello"))));
    await(crashed.append("g-1", List.of(new Chunk(2, Chunk.Kind.TEXT, " world"))));
    long whole = Files.size(onlySegment(crashedDir));
    await(crashed.append("g-1", List.of(new Chunk(3, Chunk.Kind.TEXT, "! and more"))));
    long third = Files.size(onlySegment(crashedDir)) - whole;
    await(crashedJournal.close()); // the journal's files only: no end record is written
    // The process died in the middle of writing the third record.
    try (FileChannel ch = FileChannel.open(onlySegment(crashedDir), StandardOpenOption.WRITE)) {
      ch.truncate(whole + third / 2);
    }

    assertEquals(1, await(new JournalStreamStore(journal(crashedDir)).recover()).size());
    JournalStreamStore restarted = new JournalStreamStore(journal(crashedDir));
    assertTrue(await(restarted.recover()).isEmpty(), "an interrupted log is settled once, not at every start");
    Answer read = await(restarted.answer("g-1"));
    assertEquals(GenerationState.INTERRUPTED, read.status().state());
    assertEquals("The server stopped while this answer was being written.", read.status().error());
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
    JournalStreamStore next = new JournalStreamStore(journal(killedCopy()));
    assertTrue(await(next.recover()).isEmpty());
    GenerationStatus status = await(next.status("g-2"));
    assertEquals(GenerationState.DONE, status.state());
    assertEquals(FinishReason.LENGTH, status.finishReason());
    assertEquals(new Usage(3, 1), status.usage());
    assertTrue(status.firstChunkAt() > 0, "the first chunk's time is kept in the end record");
    assertEquals("done", await(next.answer("g-2")).text());
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

  @Test
  void aDeleteDuringAReadOfTheSameAnswerIsNotUndoneByTheRead() throws Exception {
    JournalStreamStore first = store();
    await(first.start(info("g-4")));
    await(first.append("g-4", List.of(new Chunk(1, Chunk.Kind.TEXT, "gone soon"))));
    await(first.finish("g-4", done()));
    // After a restart the answer is read from the journal, whose reads wait at a gate, so the
    // delete lands while a read of the answer is under way.
    GatedJournal gated = new GatedJournal(journal(killedCopy()), (after, max) -> true);
    JournalStreamStore store = new JournalStreamStore(gated);
    await(store.recover());
    Future<Answer> reading = store.answer("g-4"); // as saving an answer found at start does
    await(gated.read.future());                   // it has read the journal, and waits at the gate
    await(store.delete(List.of("g-4")));          // as deleting its conversation does, meanwhile
    gated.gate.complete();
    await(reading);
    assertNotFound(store.status("g-4"), "a deleted answer stays deleted");
  }

  @Test
  void aWholeAnswerWhileItRunsAndJustAfterItEndsIsNotReadBackFromTheJournal() throws Exception {
    // Every journal read counts; a whole answer read back would scan the records of every answer
    // written meanwhile (here a neighbour's, between each of its own).
    GatedJournal counted = new GatedJournal(journal(dir), (after, max) -> false);
    JournalStreamStore store = new JournalStreamStore(counted);
    await(store.start(info("g-6")));
    await(store.start(info("g-neighbour")));
    for (long seq = 1; seq <= 3; seq++) {
      await(store.append("g-6", List.of(new Chunk(seq, seq == 1 ? Chunk.Kind.REASONING : Chunk.Kind.TEXT, "t" + seq + " "))));
      await(store.append("g-neighbour", List.of(new Chunk(seq, Chunk.Kind.TEXT, "n" + seq))));
    }
    Answer running = await(store.answer("g-6")); // a page reload
    assertEquals("t2 t3 ", running.text());
    assertEquals("t1 ", running.reasoning());
    assertEquals(3, running.status().lastSeq());
    assertNull(running.status().end());
    await(store.finish("g-6", done()));
    Answer ended = await(store.answer("g-6")); // the database save
    assertEquals("t2 t3 ", ended.text());
    assertEquals(GenerationState.DONE, ended.status().state());
    assertEquals(0, counted.reads.get(), "neither read went to the journal");

    // What the journal holds is the same answer, as a restart reads it back.
    JournalStreamStore restarted = new JournalStreamStore(journal(killedCopy()));
    await(restarted.recover());
    Answer fromJournal = await(restarted.answer("g-6"));
    assertEquals(ended.text(), fromJournal.text());
    assertEquals(ended.reasoning(), fromJournal.reasoning());
    // A deleted answer is not served from memory.
    await(store.delete(List.of("g-6")));
    assertNotFound(store.answer("g-6"), "deleted");
  }

  @Test
  void aResumeInALongEndedAnswerAfterARestartDoesNotWaitForTheWholeLog() throws Exception {
    JournalStreamStore first = store();
    await(first.start(info("g-5")));
    long seq = 0;
    for (int batch = 0; batch < 100; batch++) {
      List<Chunk> chunks = new ArrayList<>();
      for (int i = 0; i < 1000; i++) chunks.add(new Chunk(++seq, Chunk.Kind.TEXT, "w" + seq + " "));
      await(first.append("g-5", chunks));
    }
    await(first.finish("g-5", done()));
    // After a restart: reads of the whole log wait at a gate; the resume's own read does not.
    GatedJournal gated = new GatedJournal(journal(killedCopy()), (after, max) -> after == 0 && max == Integer.MAX_VALUE);
    JournalStreamStore next = new JournalStreamStore(gated, 64L * 1024 * 1024);
    await(next.recover());
    StreamStore.Slice slice = await(next.read("g-5", 50_000, 16 * 1024));
    assertEquals(50_001, slice.chunks().get(0).seq(), "the slice right after the cursor");
    assertEquals(GenerationState.DONE, slice.status().state());
    assertEquals(100_000, slice.status().lastSeq());
    await(gated.read.future()); // meanwhile the whole log is being read for the cache
    assertFalse(next.cached("g-5"));
    gated.gate.complete();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!next.cached("g-5") && System.nanoTime() < deadline) Thread.sleep(5);
    StreamStore.Slice again = await(next.read("g-5", 99_990, 100));
    assertTrue(await(next.answer("g-5")).text().startsWith("w1 w2 w3 "));
    assertEquals(2, gated.reads.get(), "the next reads of the answer come from the cache");
    assertEquals("w99991 ", again.chunks().get(0).text());
    assertEquals(10, again.chunks().size());
  }

  @Test
  void readersOfAnEndedAnswerOnTwoEventLoopsAreEachAnsweredOnTheirOwn() throws Exception {
    JournalStreamStore store = store();
    await(store.start(info("g-6")));
    await(store.append("g-6", List.of(new Chunk(1, Chunk.Kind.TEXT, "read twice"))));
    await(store.finish("g-6", done()));
    VertxInternal internal = (VertxInternal) vertx;
    ContextInternal a = internal.createEventLoopContext();
    ContextInternal b = internal.createEventLoopContext();
    for (int i = 0; i < 16 && b.nettyEventLoop() == a.nettyEventLoop(); i++) b = internal.createEventLoopContext();
    assertNotSame(a.nettyEventLoop(), b.nettyEventLoop(), "two event loops");
    ContextInternal other = b;
    CompletableFuture<Object> onA = new CompletableFuture<>();
    CompletableFuture<Object> onB = new CompletableFuture<>();
    a.runOnContext(v -> {
      store.answer("g-6").onComplete(ar -> onA.complete(Vertx.currentContext()));
      // While A's loop is busy (its read cannot complete on it), B asks for the same answer: a
      // response written from the wrong loop is lost in the HTTP server's strict thread mode.
      CountDownLatch asked = new CountDownLatch(1);
      other.runOnContext(w -> {
        store.answer("g-6").onComplete(ar -> onB.complete(Vertx.currentContext()));
        asked.countDown();
      });
      try {
        assertTrue(asked.await(10, TimeUnit.SECONDS));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    assertSame(a, onA.get(10, TimeUnit.SECONDS));
    assertSame(other, onB.get(10, TimeUnit.SECONDS), "B's answer comes on B's event loop");
  }

  /** A real journal whose reads the test picks wait at a gate after reading; it counts reads. */
  private static final class GatedJournal extends ForwardingJournal {
    final BiPredicate<Long, Integer> held;
    final Promise<Void> gate = Promise.promise();
    final Promise<Void> read = Promise.promise();
    final AtomicInteger reads = new AtomicInteger();

    GatedJournal(Journal real, BiPredicate<Long, Integer> held) {
      super(real);
      this.held = held;
    }

    @Override public Future<Optional<Journal.Slice>> read(String id, long after, int max) {
      if (max > 0) reads.incrementAndGet();
      Future<Optional<Journal.Slice>> found = real.read(id, after, max);
      if (!held.test(after, max)) return found;
      return found.andThen(ar -> read.tryComplete()).compose(f -> gate.future().map(f));
    }
    /** The test closes the real journals it opened. */
    @Override public Future<Void> close() { return Future.succeededFuture(); }
  }
}
