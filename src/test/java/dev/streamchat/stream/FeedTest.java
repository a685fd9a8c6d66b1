package dev.streamchat.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.streamchat.model.Usage;
import dev.streamchat.stream.journal.Durability;
import dev.streamchat.stream.journal.JournalOptions;
import dev.streamchat.stream.journal.SegmentJournal;
import dev.streamchat.testing.TestServer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * The feed of one generation on one event loop, against a real store, with the races of
 * DESIGN.md forced: a store read is held while chunks or the end are appended and published, so
 * the interleaving is the one under test every time, not the one timing happens to give.
 */
@ExtendWith(VertxExtension.class)
class FeedTest {

  private Vertx vertx;
  private Path dir;
  private SegmentJournal journal;
  private HoldingStore store;
  private Context loop;
  private long seq;

  private ListAppender<ILoggingEvent> logs;

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    this.vertx = vertx;
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    dir = Files.createTempDirectory("streamchat-feed");
    journal = new SegmentJournal(vertx, dir, JournalOptions.of(Durability.OS));
    store = new HoldingStore(new JournalStreamStore(journal));
    Feeds.install(vertx, store);
    loop = vertx.getOrCreateContext();
    seq = 0;
  }

  @AfterEach
  void tearDown() throws Exception {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
    journal.close().toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
    TestServer.deleteTree(dir);
  }

  // --- the races -----------------------------------------------------------------------------

  @Test
  void aChunkAppendedDuringAViewersReplayIsSentOnceInOrder() throws Exception {
    String id = start("g-replay");
    append(id, "a", "b", "c");
    store.holdNextRead();
    RecordingSink sink = attach(id, 0, Views.COUNTING);
    until(store::holding);                    // the replay has read chunks 1..3 and is held
    append(id, "d", "e");                     // appended and published while the replay is held
    store.release();
    until(() -> sink.lastSeq() == 5);
    finish(id);
    until(() -> sink.ended != null);
    assertEquals("abcde", sink.text(), "no gap, no duplicate");
    assertContiguous(sink);
  }

  @Test
  void theEndPublishedDuringAViewersReplayEndsItsStream() throws Exception {
    String id = start("g-end-race");
    append(id, "x", "y");
    store.holdNextRead();
    RecordingSink sink = attach(id, 0, Views.COUNTING);
    until(store::holding);                    // read while running: 2 chunks, no end
    append(id, "z");
    finish(id);                               // ended and published while the replay is held
    store.release();
    until(() -> sink.ended != null);
    assertEquals("xyz", sink.text());
    assertEquals("end:done:3", sink.ended);
  }

  @Test
  void theEndPublishedWhileACaughtUpReconnectReadsEndsItsStream() throws Exception {
    String id = start("g-caught-up-end");
    append(id, "all ", "there");
    store.holdNextRead();
    RecordingSink sink = attach(id, 2, Views.DELTAS); // an API reconnect that has every chunk already
    until(store::holding);                    // its read: nothing after 2, not ended yet
    finish(id);                               // the end is published while that read is held
    store.release();
    until(() -> sink.ended != null);          // found in a clean CI run: it waited forever
    assertEquals("", sink.text(), "nothing sent twice");
    assertEquals("end:done:2", sink.ended);
  }

  @Test
  void aReconnectJustAfterTheEndGetsTheRestAndTheEnd() throws Exception {
    String id = start("g-after-end");
    append(id, "one ", "two ", "three");
    finish(id);
    RecordingSink atEnd = attach(id, 3, Views.COUNTING);
    RecordingSink behind = attach(id, 1, Views.COUNTING);
    RecordingSink beyond = attach(id, 99, Views.COUNTING);
    until(() -> atEnd.ended != null && behind.ended != null && beyond.ended != null);
    assertEquals("", atEnd.text());
    assertEquals("two three", behind.text());
    assertEquals("[3:4]two three", behind.events.get(0), "chunks 2 and 3 in one event, after the prefix they follow");
    assertEquals("", beyond.text(), "a cursor beyond the log is taken as its last chunk");
    assertEquals("end:done:3", atEnd.ended);
  }

  @Test
  void aSinkIsToldTheCursorItReallyStartsFromBeforeAnyEvent() throws Exception {
    String id = start("g-started");
    append(id, "one ", "two ", "three");
    RecordingSink resumed = attach(id, 1, Views.COUNTING); // opens its rendering on the prefix first
    RecordingSink beyond = attach(id, 99, Views.DELTAS);
    until(() -> resumed.lastSeq() == 3 && beyond.startedAt != null);
    append(id, " four");
    until(() -> resumed.lastSeq() == 4 && beyond.lastSeq() == 4);
    assertEquals(1L, resumed.startedAt);
    assertEquals(3L, beyond.startedAt, "a cursor beyond the log starts from its last chunk, and is told so");
    assertEquals(" four", beyond.text());
    for (RecordingSink sink : List.of(resumed, beyond)) {
      assertEquals(1, sink.startedCalls, "told once");
      assertEquals(0, sink.eventsWhenStarted, "told before any event");
    }
  }

  @Test
  void subscribersBeforeTheFirstChunkShareOneRenderingPerEvent() throws Exception {
    String id = start("g-early");
    List<RecordingSink> sinks = new ArrayList<>();
    for (int i = 0; i < 5; i++) sinks.add(attach(id, 0, Views.COUNTING));
    until(() -> Feeds.here(vertx).settled(id));
    int before = Views.COUNTING.renders.get();
    for (int i = 0; i < 20; i++) append(id, "t" + i + " ");
    finish(id);
    until(() -> sinks.stream().allMatch(s -> s.ended != null));
    for (RecordingSink s : sinks) {
      assertEquals(20, s.lastSeq());
      assertContiguous(s);
    }
    int renders = Views.COUNTING.renders.get() - before;
    assertTrue(renders >= 2 && renders <= 20 + 1,
        "each event rendered once for the loop (or fewer, merged), the end too, not once per viewer: " + renders);
    assertEquals(0, call(() -> Feeds.here(vertx).open()), "the feed is gone with its last sink");
  }

  @Test
  void onALoopThatIsOnTimeALiveEventGoesOutInTheTaskThatDeliversIt() throws Exception {
    String id = start("g-on-time");
    RecordingSink sink = attach(id, 0, Views.COUNTING);
    until(() -> Feeds.here(vertx).settled(id));
    Pressure.of(vertx).start();
    List<Chunk> chunk = List.of(new Chunk(++seq, Chunk.Kind.TEXT, "now"));
    await(store.append(id, chunk));
    CompletableFuture<Long> seenByTheNextTask = new CompletableFuture<>();
    call(() -> {
      // The delivery is queued first, then a task of ours: by the time ours runs, the event is out
      // (a fan-out left to a task of its own would be queued behind ours, one more trip per token).
      vertx.eventBus().publish(Addresses.events(id), LiveEvent.chunks(chunk));
      loop.runOnContext(v -> seenByTheNextTask.complete(sink.lastSeq()));
      return null;
    });
    assertEquals(1L, seenByTheNextTask.get(10, TimeUnit.SECONDS), "written when it arrived");
    finish(id);
    until(() -> sink.ended != null);
    assertEquals("now", sink.text());
  }

  @Test
  void eventsThatArriveWhileTheLoopIsBusyGoOutAsOneWritePerViewer() throws Exception {
    String id = start("g-behind");
    List<RecordingSink> sinks = new ArrayList<>();
    for (int i = 0; i < 3; i++) sinks.add(attach(id, 0, Views.COUNTING));
    until(() -> Feeds.here(vertx).settled(id));
    List<Chunk> chunks = new ArrayList<>();
    for (int i = 0; i < 10; i++) chunks.add(new Chunk(++seq, Chunk.Kind.TEXT, "w" + i + " "));
    await(store.append(id, chunks));
    int before = Views.COUNTING.renders.get();
    Pressure.of(vertx).start();
    call(() -> {
      // A loop behind its work: stuck past its timer, and ten events reach the feed while it is.
      Thread.sleep(Pressure.STUCK_MS + 50);
      for (Chunk c : chunks) vertx.eventBus().publish(Addresses.events(id), LiveEvent.chunks(List.of(c)));
      return null;
    });
    until(() -> sinks.stream().allMatch(s -> s.lastSeq() == 10));
    assertEquals(1, Views.COUNTING.renders.get() - before, "the ten events rendered once, together");
    for (RecordingSink s : sinks) {
      assertEquals(List.of("[10:0]w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 "), s.events, "one write carrying all ten, in order");
    }
    append(id, "after");
    finish(id);
    until(() -> sinks.stream().allMatch(s -> s.ended != null));
    for (RecordingSink s : sinks) assertEquals("w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 after", s.text());
  }

  @Test
  void aStalledViewerAmongManyFastOnesHoldsNothingAndSlowsNoOne() throws Exception {
    String id = start("g-stalled");
    RecordingSink stalled = attach(id, 0, Views.COUNTING);
    List<RecordingSink> fast = new ArrayList<>();
    for (int i = 0; i < 1000; i++) fast.add(attach(id, 0, Views.COUNTING));
    until(() -> Feeds.here(vertx).settled(id));
    stalled.full = true;
    int before = Views.COUNTING.renders.get();
    int events = 300;
    for (int i = 0; i < events; i++) append(id, "word" + i + " ");
    until(() -> fast.stream().allMatch(s -> s.lastSeq() == events));
    int renders = Views.COUNTING.renders.get() - before;
    assertTrue(renders >= 1 && renders <= events, "one rendering per event at most, not one per viewer: " + renders);
    assertEquals(0, stalled.events.size(), "nothing is queued for a viewer whose transport is full");
    assertEquals(1, stalled.drainWaits, "one pending task for the stalled viewer, however many events came");
    call(() -> {
      stalled.full = false;
      stalled.drain();
      return null;
    });
    until(() -> stalled.lastSeq() == events);
    assertTrue(stalled.events.size() <= 2, "caught up from the store in coalesced events: " + stalled.events.size());
    finish(id);
    until(() -> stalled.ended != null && fast.stream().allMatch(s -> s.ended != null));
    assertEquals(fast.get(0).text(), stalled.text());
  }

  @Test
  void aLiveEventOnItsWayWhenTheLastViewerLeavesIsNeitherDroppedNorLostToTheReconnect() throws Exception {
    String id = start("g-leave-race");
    append(id, "a", "b");
    RecordingSink first = attach(id, 0, Views.COUNTING);
    until(() -> first.lastSeq() == 2 && Feeds.here(vertx).settled(id));
    List<Chunk> third = List.of(new Chunk(++seq, Chunk.Kind.TEXT, "c"));
    await(store.append(id, third));
    RecordingSink second = new RecordingSink();
    call(() -> {
      // In one task of the loop: the event is published (its delivery to the feed's subscription
      // is queued on this loop), then the only viewer leaves and reconnects after what it had.
      vertx.eventBus().publish(Addresses.events(id), LiveEvent.chunks(third));
      first.subscription.close();
      return Feeds.here(vertx).attach(id, Views.COUNTING, second, 2);
    });
    append(id, "d");
    finish(id);
    until(() -> second.ended != null);
    assertEquals("cd", second.text(), "no gap, no duplicate");
    assertContiguous(second);
    assertEquals(List.of(), discarded(id), "no live event dropped by the event bus");
  }

  @Test
  void aFeedLeftBeforeTheEndStaysSubscribedUntilTheEnd() throws Exception {
    String id = start("g-linger");
    append(id, "a");
    RecordingSink only = attach(id, 0, Views.DELTAS);
    until(() -> only.lastSeq() == 1);
    call(() -> {
      only.subscription.close();
      return null;
    });
    append(id, "b");                          // published to the feed nobody watches now
    assertEquals(1, call(() -> Feeds.here(vertx).open()), "subscribed still: a reconnect would reuse it");
    finish(id);                               // the end is its address's last event
    until(() -> Feeds.here(vertx).open() == 0);
    assertEquals(List.of(), discarded(id));
  }

  // --- helpers -------------------------------------------------------------------------------

  private String start(String id) throws Exception {
    await(store.start(new GenerationInfo(id, "c", "o", "demo", System.currentTimeMillis())));
    return id;
  }

  /** What the journal writer does: append, and publish once durable. */
  private void append(String id, String... parts) throws Exception {
    List<Chunk> chunks = new ArrayList<>();
    for (String p : parts) chunks.add(new Chunk(++seq, Chunk.Kind.TEXT, p));
    await(store.append(id, chunks));
    vertx.eventBus().publish(Addresses.events(id), LiveEvent.chunks(chunks));
  }

  private void finish(String id) throws Exception {
    GenerationStatus status = await(store.finish(id, new GenerationEnd(GenerationState.DONE, null, null,
        Usage.UNKNOWN, System.currentTimeMillis(), 0)));
    vertx.eventBus().publish(Addresses.events(id), LiveEvent.end(status));
  }

  private RecordingSink attach(String id, long cursor, FeedView view) throws Exception {
    RecordingSink sink = new RecordingSink();
    sink.subscription = call(() -> Feeds.here(vertx).attach(id, view, sink, cursor));
    return sink;
  }

  /** What the event bus logged as discarded for the generation's address. */
  private List<String> discarded(String id) {
    return logs.list.stream().map(ILoggingEvent::getFormattedMessage)
        .filter(m -> m.contains("Discarding") && m.contains(Addresses.events(id))).toList();
  }

  private <T> T call(Callable<T> task) throws Exception {
    CompletableFuture<T> out = new CompletableFuture<>();
    loop.runOnContext(v -> {
      try {
        out.complete(task.call());
      } catch (Exception e) {
        out.completeExceptionally(e);
      }
    });
    return out.get(10, TimeUnit.SECONDS);
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private void until(BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!call(condition::getAsBoolean)) {
      if (System.nanoTime() > deadline) throw new AssertionError("condition not reached in 10 s");
      Thread.sleep(2);
    }
  }

  private static void assertContiguous(RecordingSink sink) {
    long last = -1;
    for (long s : sink.seqs) {
      assertTrue(s > last, "event ids increase: " + sink.seqs);
      last = s;
    }
  }

  /** A view whose events show the prefix they were rendered after, and that counts its renderings. */
  static final class Views {
    /** Renders from the text so far, as the chat page's view does. */
    static final CountingView COUNTING = new CountingView(true);
    /** Renders each delta on its own, as the API's view does. */
    static final CountingView DELTAS = new CountingView(false);
  }

  static final class CountingView implements FeedView {
    final AtomicInteger renders = new AtomicInteger();
    private final boolean needsPrefix;

    CountingView(boolean needsPrefix) {
      this.needsPrefix = needsPrefix;
    }

    @Override
    public boolean needsPrefix() {
      return needsPrefix;
    }

    @Override
    public Rendering open(Prefix prefix) {
      StringBuilder text = new StringBuilder(prefix.text());
      return new Rendering() {
        @Override
        public Buffer next(Delta d) {
          renders.incrementAndGet();
          String event = "[" + d.lastSeq() + ":" + text.length() + "]" + d.text();
          text.append(d.text());
          return Buffer.buffer(event);
        }

        @Override
        public Buffer end(GenerationStatus status) {
          renders.incrementAndGet();
          return Buffer.buffer("end:" + status.state().wire() + ":" + status.lastSeq());
        }
      };
    }
  }

  /** A transport whose fullness the test sets, recording what it is sent. */
  static final class RecordingSink implements FeedSink {
    final List<String> events = new ArrayList<>();
    final List<Long> seqs = new ArrayList<>();
    final StringBuilder text = new StringBuilder();
    String ended;
    Feeds.Subscription subscription;
    boolean full;
    int drainWaits;
    Runnable onDrain;
    private long lastSeq;
    /** The cursor the feed said the sink starts from (null: not told yet), how often, and how many events it had then. */
    Long startedAt;
    int startedCalls;
    int eventsWhenStarted;

    @Override
    public void started(long cursor) {
      startedAt = cursor;
      startedCalls++;
      eventsWhenStarted = events.size();
    }

    @Override
    public boolean writeQueueFull() {
      return full;
    }

    @Override
    public void onDrain(Runnable then) {
      drainWaits++;
      onDrain = then;
    }

    void drain() {
      Runnable r = onDrain;
      onDrain = null;
      if (r != null) r.run();
    }

    @Override
    public void write(Buffer event, long seq) {
      String s = event.toString();
      events.add(s);
      seqs.add(seq);
      text.append(s.substring(s.indexOf(']') + 1));
      lastSeq = seq;
    }

    @Override
    public void end(Buffer lastEvent) {
      assertNull(ended, "one end");
      ended = lastEvent.toString();
    }

    long lastSeq() {
      return lastSeq;
    }

    String text() {
      return text.toString();
    }
  }

  /** The real store, with one read whose result can be held back until the test releases it. */
  static final class HoldingStore implements StreamStore {
    private final StreamStore real;
    private volatile boolean holdNext;
    private volatile Promise<Void> held;

    HoldingStore(StreamStore real) {
      this.real = real;
    }

    void holdNextRead() {
      holdNext = true;
    }

    boolean holding() {
      return held != null;
    }

    void release() {
      Promise<Void> p = held;
      held = null;
      p.complete();
    }

    @Override
    public Future<Slice> read(String id, long afterSeq, int maxChars) {
      Future<Slice> read = real.read(id, afterSeq, maxChars);
      if (!holdNext) return read;
      holdNext = false;
      return read.compose(slice -> {
        Promise<Void> gate = Promise.promise();
        held = gate;
        return gate.future().map(slice);
      });
    }

    @Override public Future<Void> start(GenerationInfo info) { return real.start(info); }
    @Override public Future<Long> append(String id, List<Chunk> chunks) { return real.append(id, chunks); }
    @Override public Future<GenerationStatus> finish(String id, GenerationEnd end) { return real.finish(id, end); }
    @Override public Future<GenerationStatus> status(String id) { return real.status(id); }
    @Override public Future<Answer> answer(String id) { return real.answer(id); }
    @Override public List<GenerationStatus> running() { return real.running(); }
    @Override public Future<List<GenerationStatus>> recover() { return real.recover(); }
    @Override public Future<Void> delete(Collection<String> ids) { return real.delete(ids); }
    @Override public Future<Void> ping() { return real.ping(); }
    @Override public Future<Void> close() { return real.close(); }
  }
}
