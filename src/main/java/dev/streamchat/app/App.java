package dev.streamchat.app;

import dev.streamchat.chat.ChatService;
import dev.streamchat.chat.ChatStore;
import dev.streamchat.chat.Database;
import dev.streamchat.chat.HistoryWindow;
import dev.streamchat.chat.JdbcChatStore;
import dev.streamchat.chat.Quotas;
import dev.streamchat.chat.StorageLimits;
import dev.streamchat.model.ModelProvider;
import dev.streamchat.model.ModelRegistry;
import dev.streamchat.model.demo.DemoProvider;
import dev.streamchat.model.llama.LlamaProvider;
import dev.streamchat.ops.AdminAccess;
import dev.streamchat.ops.EndedGenerations;
import dev.streamchat.ops.Health;
import dev.streamchat.ops.Operations;
import dev.streamchat.ops.Telemetry;
import dev.streamchat.ops.Viewers;
import dev.streamchat.stream.Answer;
import dev.streamchat.stream.BusGenerations;
import dev.streamchat.stream.Feeds;
import dev.streamchat.stream.GenerationState;
import dev.streamchat.stream.GenerationStatus;
import dev.streamchat.stream.GenerationWorker;
import dev.streamchat.stream.Generations;
import dev.streamchat.stream.JournalStreamStore;
import dev.streamchat.stream.StreamStore;
import dev.streamchat.stream.journal.PerFileJournal;
import dev.streamchat.web.WebVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Boots streamchat: opens the stores, settles generations the last process left running, then
 * deploys the generation worker and the web verticles. No logic of its own.
 */
public final class App extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(App.class);

  private final Config config;
  private final AtomicReference<WebVerticle> firstWeb = new AtomicReference<>();
  private ChatStore chats;
  private StreamStore streams;
  private LlamaProvider gguf;
  private Telemetry telemetry;
  private EndedGenerations endedGenerations;

  public App(Config config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(() -> {
          Files.createDirectories(config.dataDir());
          var ds = Database.open(config.databaseUrl(), config.dataDir());
          chats = new JdbcChatStore(vertx, ds, ds);
          streams = new JournalStreamStore(new PerFileJournal(vertx, config.dataDir()));
          return null;
        })
        .compose(v -> streams.recover())
        .compose(v -> settleAnswers())
        .compose(v -> loadGguf())
        .andThen(v -> telemetry = new Telemetry(Telemetry.registry(vertx), streams))
        .compose(v -> {
          ModelRegistry models = new ModelRegistry(telemetry.metered(providers()));
          return models.refresh().map(list -> {
            LOG.info("models: {}", list.stream().map(m -> m.id()).toList());
            HttpProviders.refreshPeriodically(vertx, config.upstreams(), models);
            return models;
          });
        })
        .compose(models -> deploy(models));
  }

  private List<ModelProvider> providers() {
    List<ModelProvider> list = new ArrayList<>();
    list.add(new DemoProvider(vertx, config.demoTokensPerSecond(), config.demoTokens()));
    if (gguf != null) list.add(gguf);
    list.addAll(HttpProviders.create(vertx, config.upstreams()));
    return list;
  }

  /**
   * Loads STREAMCHAT_GGUF on a worker thread. A file that cannot be used fails the start: the
   * operator asked for this model, and serving the demo in its place would hide the mistake.
   */
  private Future<Void> loadGguf() {
    if (config.gguf().isEmpty()) return Future.succeededFuture();
    return LlamaProvider.load(vertx, config.gguf().get()).onSuccess(p -> gguf = p).mapEmpty();
  }

  /** Answers still marked running in the database take the final state their stream log has. */
  private Future<Void> settleAnswers() {
    return chats.runningAnswers().compose(messages -> {
      List<Future<Void>> saves = new ArrayList<>();
      for (var m : messages) {
        saves.add(streams.answer(m.generationId())
            .compose(this::saveAnswer)
            .recover(missing -> chats.saveAnswer(m.generationId(), m.content(), m.reasoning(),
                GenerationState.INTERRUPTED.wire(), "The server stopped before this answer began.")));
      }
      return Future.all(saves).mapEmpty();
    });
  }

  private Future<Void> saveAnswer(Answer a) {
    return chats.saveAnswer(a.id(), a.text(), a.reasoning(), a.status().state().wire(), a.status().error())
        .onFailure(err -> LOG.error("generation {}: could not save its answer", a.id(), err));
  }

  /** A generation ended: keep its answer (read back from its log), count it, list it on the admin page. */
  private void ended(GenerationStatus status) {
    streams.answer(status.id()).compose(this::saveAnswer)
        .onFailure(err -> LOG.error("generation {}: could not read its answer to save it", status.id(), err));
    telemetry.ended(status);
    endedGenerations.add(status);
  }

  private Future<?> deploy(ModelRegistry models) {
    Generations generations = new BusGenerations(vertx, streams);
    Feeds.install(vertx, streams);
    ChatService service = new ChatService(chats, generations, models,
        config.maxMessageChars(), config.maxAnswerTokens(),
        new HistoryWindow(config.systemPrompt(), config.historyChars()), new Quotas(config.limits(), generations),
        new StorageLimits(config.maxConversations(), config.maxMessagesPerConversation(), config.maxStoredBytes()));
    Viewers viewers = new Viewers(telemetry.registry());
    viewers.install(vertx);
    endedGenerations = new EndedGenerations(viewers);
    Operations ops = new Operations(AdminAccess.from(config.adminToken()), service, streams, viewers,
        endedGenerations, new Health(chats, streams), telemetry.registry());
    // One worker instance: its context runs every generation's callbacks in turn, which also paces
    // what reaches the viewers' event loops. More instances lower p99 at 2,500 streams but flood
    // the event loops past saturation (BENCHMARKS.md); that needs backpressure first.
    return vertx.deployVerticle(new GenerationWorker(streams, models, config.maxAnswerTokens(),
            config.maxAnswerBytes(), List.of(), this::ended),
            new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER))
        .compose(id -> vertx.deployVerticle(() -> {
          WebVerticle web = new WebVerticle(config, service, ops);
          firstWeb.compareAndSet(null, web);
          return web;
        }, new DeploymentOptions().setInstances(Math.max(1, Runtime.getRuntime().availableProcessors()))));
  }

  /** The port the HTTP server listens on. */
  public int port() {
    return firstWeb.get().actualPort();
  }

  @Override
  public Future<?> stop() {
    // The model goes first: its generation thread may still be writing to the stream store.
    Future<?> model = gguf == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
      gguf.close();
      return null;
    });
    return model.eventually(() -> streams == null ? Future.succeededFuture() : streams.close())
        .eventually(() -> chats == null ? Future.succeededFuture() : chats.close());
  }
}
