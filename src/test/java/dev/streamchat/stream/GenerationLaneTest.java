package dev.streamchat.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import dev.streamchat.model.ChatMessage;
import dev.streamchat.model.ModelRegistry;
import dev.streamchat.model.demo.DemoProvider;
import dev.streamchat.stream.journal.Durability;
import dev.streamchat.stream.journal.Journal;
import dev.streamchat.stream.journal.JournalOptions;
import dev.streamchat.stream.journal.SegmentJournal;
import dev.streamchat.testing.TestServer;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A generation started from a request served on an event loop runs on that loop: its model's
 * stream is read, parsed and journaled there, where its viewer on the same connection is written
 * to, so its chunks need not cross to another loop on their way.
 */
class GenerationLaneTest {

  private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
  private Path dir;
  private SegmentJournal journal;

  @AfterEach
  void tearDown() throws Exception {
    if (journal != null) await(journal.close());
    await(vertx.close());
    if (dir != null) TestServer.deleteTree(dir);
  }

  @Test
  void aGenerationRunsOnTheEventLoopItWasStartedFrom() throws Exception {
    dir = Files.createTempDirectory("streamchat-lanes");
    journal = new SegmentJournal(vertx, dir, JournalOptions.of(Durability.OS));
    Map<String, Thread> appendedOn = new ConcurrentHashMap<>();
    JournalStreamStore store = new JournalStreamStore(new Recording(journal, appendedOn));
    await(store.recover());
    ModelRegistry models = new ModelRegistry(List.of(new DemoProvider(vertx, 20_000, 1_000_000)));
    await(models.refresh());
    await(vertx.deployVerticle(new GenerationWorker(store, models, 10_000, 1 << 20, List.of(), 2, s -> { }),
        new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
    Generations generations = new BusGenerations(vertx, store);

    Context first = ((VertxInternal) vertx).createEventLoopContext();
    Context second = ((VertxInternal) vertx).createEventLoopContext();
    assertNotSame(((ContextInternal) first).nettyEventLoop(), ((ContextInternal) second).nettyEventLoop());
    // In an order taking lanes in turn would not give: each start's loop is its own.
    List<Context> from = List.of(second, second, first, first);
    for (int i = 0; i < from.size(); i++) {
      String id = "g-" + i;
      CompletableFuture<Thread> askedOn = new CompletableFuture<>();
      from.get(i).runOnContext(v -> {
        askedOn.complete(Thread.currentThread());
        GenerationInfo info = new GenerationInfo(id, "c", "owner", "demo", System.currentTimeMillis());
        generations.start(new GenerationRequest(info, List.of(new ChatMessage("user", "hi")), 0, ""));
      });
      Thread loop = askedOn.get(10, TimeUnit.SECONDS);
      for (int n = 0; n < 1000 && !appendedOn.containsKey(id); n++) Thread.sleep(10);
      assertEquals(loop, appendedOn.get(id), id + " is journaled on the loop it was asked from");
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  /** The journal, noting the thread each generation's first append came from. */
  private static final class Recording extends ForwardingJournal {
    private final Map<String, Thread> appendedOn;

    Recording(Journal real, Map<String, Thread> appendedOn) {
      super(real);
      this.appendedOn = appendedOn;
    }

    @Override
    public Future<Void> append(String id, List<Chunk> chunks) {
      appendedOn.putIfAbsent(id, Thread.currentThread());
      return real.append(id, chunks);
    }
  }
}
