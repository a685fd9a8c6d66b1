package dev.streamchat.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.app.Config;
import dev.streamchat.chat.Quotas;
import dev.streamchat.model.ChatMessage;
import dev.streamchat.model.ModelRegistry;
import dev.streamchat.model.demo.DemoProvider;
import dev.streamchat.stream.journal.Journal;
import dev.streamchat.stream.journal.Durability;
import dev.streamchat.stream.journal.JournalOptions;
import dev.streamchat.stream.journal.SegmentJournal;
import dev.streamchat.testing.TestServer;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The worker with a store that cannot write: the answer ends failed with a message that says why,
 * its viewers get the end, its slot is free again, and the next start finds exactly the text the
 * viewer was shown. Once with a journal that fails on demand, once with the segment journal on a
 * real full disk (a small tmpfs; needs root).
 */
@ExtendWith(VertxExtension.class)
class GenerationWorkerTest {

  private Vertx vertx;
  private Path dir;
  private Path mounted;
  private final List<GenerationStatus> ended = new CopyOnWriteArrayList<>();
  private final List<SegmentJournal> opened = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    this.vertx = vertx;
    dir = Files.createTempDirectory("streamchat-worker");
  }

  @AfterEach
  void tearDown() throws Exception {
    for (SegmentJournal j : opened) await(j.close());
    if (mounted != null) new ProcessBuilder("umount", mounted.toString()).inheritIO().start().waitFor();
    TestServer.deleteTree(dir);
  }

  @Test
  void aFailedAppendEndsTheAnswerFailedPublishesTheEndAndFreesTheSlot() throws Exception {
    FailingJournal journal = new FailingJournal(segmentJournal(dir), 3);
    JournalStreamStore store = new JournalStreamStore(journal);
    Generations generations = deploy(store);
    Quotas quotas = new Quotas(limits(), generations);

    Quotas.Slot slot = quotas.reserveGeneration("owner");
    Viewed viewed = runToEnd(generations, "g-fail", slot);
    GenerationStatus status = viewed.end();

    assertEquals(GenerationState.FAILED, status.state());
    assertEquals("The server could not store the answer (disk full).", status.error());
    assertTrue(generations.running().isEmpty(), "no zombie generation");
    quotas.reserveGeneration("owner").release(); // one per session: the slot is free again
    assertEquals(GenerationState.FAILED, await(store.status("g-fail")).state(), "readers see it failed");
    for (int i = 0; i < 500 && ended.isEmpty(); i++) Thread.sleep(10);
    assertEquals(List.of("g-fail"), ended.stream().map(GenerationStatus::id).toList(), "the answer is saved once");

    // Space comes back: the next start finds the answer without its end, every chunk the viewer saw in it.
    journal.failing = false;
    await(journal.close());
    JournalStreamStore next = new JournalStreamStore(segmentJournal(dir));
    assertEquals(1, await(next.recover()).size());
    Answer recovered = await(next.answer("g-fail"));
    assertEquals(GenerationState.INTERRUPTED, recovered.status().state());
    assertEquals(status.lastSeq(), recovered.status().lastSeq(), "every chunk that was stored is kept");
    assertEquals(viewed.text(), recovered.text() + recovered.reasoning(), "what the viewer saw, exactly");
  }

  @Test
  void aFullDiskEndsTheAnswerFailedAndTheEndLandsOnceSpaceIsBack() throws Exception {
    mounted = Files.createDirectory(dir.resolve("tmpfs"));
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mounted.toString())
        .redirectErrorStream(true).start();
    String why = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (mount.waitFor() != 0) {
      mounted = null;
      Assumptions.abort("a small tmpfs cannot be mounted here (needs root): " + why);
    }
    Path filler = mounted.resolve("filler");
    Files.write(filler, new byte[16 * 1024]);
    SegmentJournal journal = segmentJournal(mounted.resolve("journal"));
    JournalStreamStore store = new JournalStreamStore(journal);
    Generations generations = deploy(store);

    Viewed viewed = runToEnd(generations, "g-full", () -> { });
    GenerationStatus status = viewed.end();

    assertEquals(GenerationState.FAILED, status.state());
    assertEquals("The server could not store the answer (disk full).", status.error());
    assertTrue(status.lastSeq() > 100, "it wrote until the disk was full: " + status.lastSeq());
    await(journal.close());

    Files.delete(filler); // space comes back
    JournalStreamStore next = new JournalStreamStore(segmentJournal(mounted.resolve("journal")));
    // The refused append was cut back, so the small end record usually fit at once (failed);
    // if it did not, this start settles the answer (interrupted). Either way it ends exactly once.
    List<GenerationStatus> settled = await(next.recover());
    Answer kept = await(next.answer("g-full"));
    assertEquals(settled.isEmpty() ? GenerationState.FAILED : GenerationState.INTERRUPTED, kept.status().state());
    assertEquals(status.lastSeq(), kept.status().lastSeq(), "every whole chunk is kept");
    assertEquals(viewed.text(), kept.text() + kept.reasoning(), "what the viewer saw, exactly");
    JournalStreamStore third = new JournalStreamStore(segmentJournal(mounted.resolve("journal")));
    assertTrue(await(third.recover()).isEmpty(), "the end record landed after the last whole chunk");
    assertEquals(kept.status().state(), await(third.status("g-full")).state());
  }

  private SegmentJournal segmentJournal(Path at) {
    SegmentJournal j = new SegmentJournal(vertx, at, JournalOptions.of(Durability.OS));
    opened.add(j);
    return j;
  }

  private Generations deploy(StreamStore store) throws Exception {
    ModelRegistry models = new ModelRegistry(List.of(new DemoProvider(vertx, 20_000, 1_000_000)));
    await(models.refresh());
    await(vertx.deployVerticle(new GenerationWorker(store, models, 10_000_000, 64L * 1024 * 1024, List.of(), 2, ended::add),
        new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
    return new BusGenerations(vertx, store);
  }

  /** What a viewer subscribed on the bus got: the text of every chunk event, and the final status. */
  private record Viewed(String text, GenerationStatus end) {
  }

  /** Starts a generation with a viewer's subscription on the bus; answers what that viewer got. */
  private Viewed runToEnd(Generations generations, String id, Quotas.Slot slot) throws Exception {
    CompletableFuture<GenerationStatus> published = new CompletableFuture<>();
    StringBuffer text = new StringBuffer();
    AtomicInteger chunkEvents = new AtomicInteger();
    await(vertx.eventBus().<LiveEvent>consumer(Addresses.events(id), msg -> {
      if (msg.body().isEnd()) {
        published.complete(msg.body().end());
        return;
      }
      chunkEvents.incrementAndGet();
      for (Chunk c : msg.body().chunks()) text.append(c.text());
    }).completion());
    GenerationInfo info = new GenerationInfo(id, "c", "owner", "demo", System.currentTimeMillis());
    await(generations.start(new GenerationRequest(info, List.of(new ChatMessage("user", "go on")), 0, "")));
    slot.release();
    GenerationStatus status = published.get(20, TimeUnit.SECONDS);
    assertTrue(chunkEvents.get() > 0, "chunks were published before the failure");
    return new Viewed(text.toString(), status);
  }

  private static Config.Limits limits() {
    return new Config.Limits(8192, 4096, 1, 100, 20, 30, 1000, 600, 30);
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  /** A journal that, after some appends, fails every write as a full disk does. */
  static final class FailingJournal extends ForwardingJournal {
    private final AtomicInteger appendsLeft;
    volatile boolean failing;

    FailingJournal(Journal real, int appendsBeforeFailing) {
      super(real);
      this.appendsLeft = new AtomicInteger(appendsBeforeFailing);
    }

    private <T> Future<T> full() {
      failing = true;
      return Future.failedFuture(new IOException("No space left on device"));
    }

    @Override
    public Future<Void> append(String id, List<Chunk> chunks) {
      if (failing || appendsLeft.decrementAndGet() < 0) return full();
      return real.append(id, chunks);
    }

    @Override
    public Future<Void> end(String id, GenerationEnd end) {
      return failing ? full() : real.end(id, end);
    }
  }
}
