package dev.streamchat.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.model.Failure;
import dev.streamchat.model.FinishReason;
import dev.streamchat.model.StreamHandle;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.Usage;
import dev.streamchat.stream.journal.Durability;
import dev.streamchat.stream.journal.JournalOptions;
import dev.streamchat.stream.journal.SegmentJournal;
import dev.streamchat.testing.TestServer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** One generation's pipeline against a real store: the meter's bounds, a stage in the filter slot, backpressure. */
@ExtendWith(VertxExtension.class)
class PipelineTest {

  private Vertx vertx;
  private Path dir;
  private SegmentJournal journal;
  private GatedStore store;
  private Context context;
  private final RecordingHandle handle = new RecordingHandle();

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    this.vertx = vertx;
    dir = Files.createTempDirectory("streamchat-pipeline");
    journal = new SegmentJournal(vertx, dir, JournalOptions.of(Durability.OS));
    store = new GatedStore(new JournalStreamStore(journal));
    context = vertx.getOrCreateContext();
    LocalCodecs.register(vertx);
  }

  @AfterEach
  void tearDown() throws Exception {
    journal.close().toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
    TestServer.deleteTree(dir);
  }

  private Pipeline pipeline(String id, List<PipelineStage> stages, int maxTokens, long maxBytes) throws Exception {
    GenerationInfo info = new GenerationInfo(id, "c", "o", "demo", System.currentTimeMillis());
    FeedTest.await(store.start(info));
    Pipeline p = Pipeline.assemble(new GenerationRequest(info, List.of(), 0, ""), context, store, stages,
        new Pipeline.Bounds(maxTokens, maxBytes));
    p.upstream(handle);
    return p;
  }

  private void onContext(Runnable r) throws Exception {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      r.run();
      done.complete();
    });
    FeedTest.await(done.future());
  }

  @Test
  void theMeterEndsARunawayAnswerAtMaxTokensWithFinishReasonLength() throws Exception {
    Pipeline p = pipeline("g-tokens", List.of(), 5, 1 << 20);
    onContext(() -> {
      for (int i = 0; i < 50; i++) p.head().onText("t" + i + " ");
      p.head().onComplete(FinishReason.STOP, Usage.UNKNOWN); // too late: the meter ended it
    });
    GenerationStatus s = FeedTest.await(p.writer().ended());
    assertEquals(GenerationState.DONE, s.state());
    assertEquals(FinishReason.LENGTH, s.finishReason());
    assertEquals(5, s.lastSeq());
    assertEquals(1, handle.cancels.get(), "the model is stopped");
    assertEquals("t0 t1 t2 t3 t4 ", FeedTest.await(store.answer("g-tokens")).text());
  }

  @Test
  void theMeterCutsAtTheByteCapWithoutSplittingACharacter() throws Exception {
    Pipeline p = pipeline("g-bytes", List.of(), 1000, 10);
    onContext(() -> {
      p.head().onText("ab");
      p.head().onText("🙂🙂🙂"); // 12 bytes: only one fits in the 8 left... and then one more would not
    });
    GenerationStatus s = FeedTest.await(p.writer().ended());
    assertEquals(FinishReason.LENGTH, s.finishReason());
    String text = FeedTest.await(store.answer("g-bytes")).text();
    assertEquals("ab🙂🙂", text);
    assertTrue(text.getBytes(StandardCharsets.UTF_8).length <= 10);
  }

  @Test
  void aStageMayHoldTextBackAndReleaseItLater() throws Exception {
    PipelineStage holdUntilEnd = (request, next, upstream) -> new StreamListener() {
      final StringBuilder held = new StringBuilder();

      @Override
      public void onText(String text) {
        held.append(text);
      }

      @Override
      public void onReasoning(String text) {
        next.onReasoning(text);
      }

      @Override
      public void onComplete(FinishReason reason, Usage usage) {
        next.onText(held.toString().toUpperCase(java.util.Locale.ROOT));
        next.onComplete(reason, usage);
      }

      @Override
      public void onFailure(Failure failure) {
        next.onFailure(failure);
      }
    };
    Pipeline p = pipeline("g-held", List.of(holdUntilEnd), 1000, 1 << 20);
    onContext(() -> {
      p.head().onText("hello ");
      p.head().onText("world");
    });
    assertEquals("", FeedTest.await(store.answer("g-held")).text(), "held text is stored nowhere");
    onContext(() -> p.head().onComplete(FinishReason.STOP, Usage.UNKNOWN));
    FeedTest.await(p.writer().ended());
    assertEquals("HELLO WORLD", FeedTest.await(store.answer("g-held")).text());
  }

  @Test
  void aStageMayEndTheAnswerFailed() throws Exception {
    PipelineStage refuse = (request, next, upstream) -> new StreamListener() {
      boolean refused;

      @Override
      public void onText(String text) {
        if (refused) return;
        if (text.contains("secret")) {
          refused = true;
          upstream.cancel();
          next.onFailure(Failure.of(Failure.Kind.FILTERED, "The answer was withheld by a filter."));
          return;
        }
        next.onText(text);
      }

      @Override
      public void onReasoning(String text) {
        if (!refused) next.onReasoning(text);
      }

      @Override
      public void onComplete(FinishReason reason, Usage usage) {
        if (!refused) next.onComplete(reason, usage);
      }

      @Override
      public void onFailure(Failure failure) {
        if (!refused) next.onFailure(failure);
      }
    };
    Pipeline p = pipeline("g-refused", List.of(refuse), 1000, 1 << 20);
    onContext(() -> {
      p.head().onText("fine, ");
      p.head().onText("the secret is");
      p.head().onText(" out");
    });
    GenerationStatus s = FeedTest.await(p.writer().ended());
    assertEquals(GenerationState.FAILED, s.state());
    assertEquals("The answer was withheld by a filter.", s.error());
    assertEquals(1, handle.cancels.get());
    assertEquals("fine, ", FeedTest.await(store.answer("g-refused")).text());
  }

  @Test
  void theModelIsPausedWhileTheJournalIsBehindAndResumedAfter() throws Exception {
    Pipeline p = pipeline("g-paused", List.of(), 100_000, 1 << 24);
    store.holdAppends();
    String piece = "x".repeat(1000);
    onContext(() -> {
      for (int i = 0; i < 100; i++) p.head().onText(piece); // 100,000 chars while the first append is held
    });
    assertEquals(1, handle.pauses.get(), "paused once past the high-water mark");
    assertEquals(0, handle.resumes.get());
    store.releaseAppends();
    for (int i = 0; i < 500 && handle.resumes.get() == 0; i++) Thread.sleep(10);
    assertEquals(1, handle.resumes.get(), "resumed once the journal caught up");
    onContext(() -> p.head().onComplete(FinishReason.STOP, Usage.UNKNOWN));
    GenerationStatus s = FeedTest.await(p.writer().ended());
    assertEquals(100, s.lastSeq());
    assertEquals(100_000, FeedTest.await(store.answer("g-paused")).text().length());
  }

  static final class RecordingHandle implements StreamHandle {
    final AtomicInteger cancels = new AtomicInteger();
    final AtomicInteger pauses = new AtomicInteger();
    final AtomicInteger resumes = new AtomicInteger();

    @Override
    public void cancel() {
      cancels.incrementAndGet();
    }

    @Override
    public void pause() {
      pauses.incrementAndGet();
    }

    @Override
    public void resume() {
      resumes.incrementAndGet();
    }
  }

  /** The real store whose appends can be held, as a slow disk would. */
  static final class GatedStore implements StreamStore {
    private final StreamStore real;
    private volatile Promise<Void> gate;

    GatedStore(StreamStore real) {
      this.real = real;
    }

    void holdAppends() {
      gate = Promise.promise();
    }

    void releaseAppends() {
      Promise<Void> g = gate;
      gate = null;
      g.complete();
    }

    @Override
    public Future<Long> append(String id, List<Chunk> chunks) {
      Promise<Void> g = gate;
      return g == null ? real.append(id, chunks) : g.future().compose(v -> real.append(id, chunks));
    }

    @Override public Future<Slice> read(String id, long afterSeq, int maxChars) { return real.read(id, afterSeq, maxChars); }
    @Override public Future<Void> start(GenerationInfo info) { return real.start(info); }
    @Override public Future<GenerationStatus> finish(String id, GenerationEnd end) { return real.finish(id, end); }
    @Override public Future<GenerationStatus> status(String id) { return real.status(id); }
    @Override public Future<Answer> answer(String id) { return real.answer(id); }
    @Override public List<GenerationStatus> running() { return real.running(); }
    @Override public Future<List<GenerationStatus>> recover() { return real.recover(); }
    @Override public Future<Void> delete(java.util.Collection<String> ids) { return real.delete(ids); }
    @Override public Future<Void> ping() { return real.ping(); }
    @Override public Future<Void> close() { return real.close(); }
  }
}
