package dev.streamchat.app;

import dev.streamchat.chat.ChatService;
import dev.streamchat.chat.ChatStore;
import dev.streamchat.chat.Database;
import dev.streamchat.chat.JdbcChatStore;
import dev.streamchat.model.ModelProvider;
import dev.streamchat.model.ModelRegistry;
import dev.streamchat.model.demo.DemoProvider;
import dev.streamchat.stream.FileStreamStore;
import dev.streamchat.stream.GenerationLog;
import dev.streamchat.stream.GenerationState;
import dev.streamchat.stream.GenerationWorker;
import dev.streamchat.stream.StreamStore;
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

  public App(Config config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(() -> {
          Files.createDirectories(config.dataDir());
          var ds = Database.open(config.databaseUrl(), config.dataDir());
          chats = new JdbcChatStore(vertx, ds, ds);
          streams = new FileStreamStore(vertx, config.dataDir());
          streams.recoverInterrupted();
          return null;
        })
        .compose(v -> settleAnswers())
        .compose(v -> {
          ModelRegistry models = new ModelRegistry(providers());
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
    list.addAll(HttpProviders.create(vertx, config.upstreams()));
    return list;
  }

  /** Answers still marked running in the database take the final state their stream log has. */
  private Future<Void> settleAnswers() {
    return chats.runningAnswers().compose(messages -> {
      List<Future<Void>> saves = new ArrayList<>();
      for (var m : messages) {
        saves.add(streams.find(m.generationId())
            .compose(this::saveAnswer)
            .recover(missing -> chats.saveAnswer(m.generationId(), m.content(), m.reasoning(),
                GenerationState.INTERRUPTED.wire(), "The server stopped before this answer began.")));
      }
      return Future.all(saves).mapEmpty();
    });
  }

  private Future<Void> saveAnswer(GenerationLog log) {
    return chats.saveAnswer(log.id(), log.text(), log.reasoning(), log.state().wire(), log.error())
        .onFailure(err -> LOG.error("generation {}: could not save its answer", log.id(), err));
  }

  private Future<?> deploy(ModelRegistry models) {
    ChatService service = new ChatService(vertx, chats, streams, models,
        config.maxMessageChars(), config.maxAnswerTokens());
    GenerationWorker worker = new GenerationWorker(streams, models, this::saveAnswer);
    return vertx.deployVerticle(worker, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER))
        .compose(id -> vertx.deployVerticle(() -> {
          WebVerticle web = new WebVerticle(config, service);
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
    if (streams != null) streams.close();
    return chats == null ? Future.succeededFuture() : chats.close();
  }
}
