package dev.streamchat.app;

import dev.streamchat.auth.AccountStore;
import dev.streamchat.auth.Accounts;
import dev.streamchat.chat.Admission;
import dev.streamchat.chat.AnswerSaver;
import dev.streamchat.chat.ChatService;
import dev.streamchat.chat.ChatStore;
import dev.streamchat.chat.Database;
import dev.streamchat.chat.DiskSpace;
import dev.streamchat.chat.HistoryWindow;
import dev.streamchat.chat.JdbcChatStore;
import dev.streamchat.chat.MessageCheck;
import dev.streamchat.chat.Quotas;
import dev.streamchat.chat.StorageLimits;
import dev.streamchat.filter.FilterMetrics;
import dev.streamchat.filter.FilterSettings;
import dev.streamchat.filter.MessageModeration;
import dev.streamchat.filter.ModerationClient;
import dev.streamchat.filter.ModerationStage;
import dev.streamchat.filter.RedactionStage;
import dev.streamchat.json.JsonStage;
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
import dev.streamchat.stream.PipelineStage;
import dev.streamchat.stream.Pressure;
import dev.streamchat.stream.StreamStore;
import dev.streamchat.stream.journal.JournalOptions;
import dev.streamchat.stream.journal.LegacyStreamLogs;
import dev.streamchat.stream.journal.SegmentJournal;
import dev.streamchat.stream.redis.ClusterGenerations;
import dev.streamchat.stream.redis.RedisKeys;
import dev.streamchat.stream.redis.RedisAdminGuesses;
import dev.streamchat.stream.redis.RedisAdminSessions;
import dev.streamchat.stream.redis.RedisLive;
import dev.streamchat.stream.redis.RedisMessageWindow;
import dev.streamchat.stream.redis.RedisStreamStore;
import dev.streamchat.stream.redis.SharedSecrets;
import dev.streamchat.stream.redis.Takeovers;
import dev.streamchat.web.WebVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.ProtocolVersion;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
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
  private AccountStore accountStore;
  private Accounts accounts;
  private StreamStore streams;
  /** With STREAMCHAT_REDIS_URL: the shared Redis, and what this instance hears from the others. */
  private Redis redis;
  private RedisStreamStore redisStore;
  private RedisLive live;
  private GenerationWorker worker;
  private LlamaProvider gguf;
  private Telemetry telemetry;
  private FilterMetrics filterMetrics;
  private EndedGenerations endedGenerations;
  private AnswerSaver answers;
  private DiskSpace disk;

  public App(Config config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    Future<Void> tls = config.tls().map(t -> t.verify(vertx)).orElse(Future.succeededFuture());
    return tls.compose(ok -> vertx.executeBlocking(() -> {
          Files.createDirectories(config.dataDir());
          disk = new DiskSpace(config.dataDir(), config.faults().minFreeBytes());
          Config.Faults faults = config.faults();
          var ds = Database.open(config.databaseUrl(), config.dataDir(),
              new Database.Timeouts(faults.dbConnectTimeoutMs(), faults.dbQueryTimeoutMs()));
          JdbcChatStore chatStore = new JdbcChatStore(vertx, ds, ds, faults.dbQueryTimeoutMs());
          chats = chatStore;
          accountStore = new AccountStore(chatStore.runner());
          // One of a service keeps its stream logs in Redis (opened below); alone, in the segment journal.
          if (config.cluster().isPresent()) return null;
          Path journalDir = config.dataDir().resolve("journal");
          LOG.info("stream journal: {} (STREAMCHAT_FSYNC={})", journalDir, config.fsync().name().toLowerCase(Locale.ROOT));
          return new SegmentJournal(vertx, journalDir, JournalOptions.of(config.fsync()));
        }))
        .compose(journal -> {
          answers = new AnswerSaver(vertx, chats, id -> streams.answer(id));
          if (journal == null) {
            streams = clusterStore(config.cluster().get());
            return Future.<Void>succeededFuture();
          }
          streams = new JournalStreamStore(journal);
          // The previous release's per-generation logs move into the journal before anything reads it.
          return LegacyStreamLogs.importInto(vertx, config.dataDir().resolve("streams"), journal).<Void>mapEmpty();
        })
        .compose(v -> streams.recover())
        .compose(v -> live == null ? Future.succeededFuture() : live.start())
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

  /** The stream store of one instance of a service, in Redis, and the subscription to the others' events. */
  private StreamStore clusterStore(Config.Cluster cluster) {
    RedisOptions options = new RedisOptions().setConnectionString(cluster.redisUrl())
        .setPreferredProtocolVersion(ProtocolVersion.RESP2)
        .setMaxPoolSize(32).setMaxPoolWaiting(4096)
        .setNetClientOptions(new NetClientOptions().setConnectTimeout(2_000).setTcpKeepAlive(true));
    RedisKeys keys = new RedisKeys(cluster.prefix());
    redis = Redis.createClient(vertx, options);
    live = new RedisLive(vertx, options, keys, cluster.instance());
    LOG.info("one of a service: instance {}, Redis keys under '{}:'", cluster.instance(), cluster.prefix());
    RedisStreamStore store = new RedisStreamStore(redis, keys, cluster.instance(), cluster.finishedTtlSeconds(),
        cluster.leaseMs());
    redisStore = store;
    // One that says it shut down has its answers claimed at once, not at the next look.
    live.onInstanceGone(store::lookNow);
    store.watch(vertx);
    // Ended logs expire in Redis; their answers are in the database.
    return new ArchivedAnswers(store, chats);
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
    return LlamaProvider.load(vertx, config.gguf().get()).map(p -> {
      gguf = p;
      return null;
    });
  }

  /** Answers still marked running in the database take the final state their stream log has. */
  private Future<Void> settleAnswers() {
    return chats.runningAnswers().compose(messages -> {
      List<Future<Void>> saves = new ArrayList<>();
      for (var m : messages) {
        // One still running in the stream store is another instance's, which saves it itself.
        saves.add(streams.answer(m.generationId())
            .compose(a -> a.status().ended() ? saveAnswer(a) : Future.succeededFuture())
            .recover(missing -> chats.saveAnswer(m.generationId(), m.content(), m.reasoning(),
                GenerationState.INTERRUPTED.wire(), "The server stopped before this answer began.")));
      }
      return Future.all(saves).mapEmpty();
    });
  }

  /** Saves now, or again and again in the background while the database is away. */
  private Future<Void> saveAnswer(Answer a) {
    return answers.save(a);
  }

  /** A generation ended: keep its answer (read back from its log), count it, list it on the admin page. */
  private void ended(GenerationStatus status) {
    streams.answer(status.id()).compose(this::saveAnswer)
        .onFailure(err -> LOG.error("generation {}: could not read its answer to save it", status.id(), err));
    telemetry.ended(status);
    filterMetrics.ended(status.id());
    endedGenerations.add(status);
  }

  /**
   * Secrets the instances of a service share through Redis: the CSRF key and, when
   * STREAMCHAT_ADMIN_TOKEN is not set, the admin token. Alone, each instance has its own.
   */
  private record Shared(Optional<String> adminToken, byte[] csrfKey) {
  }

  private Future<Shared> shared() {
    if (redis == null) return Future.succeededFuture(new Shared(config.adminToken(), null));
    SharedSecrets secrets = new SharedSecrets(redis, new RedisKeys(config.cluster().get().prefix()));
    Future<String> admin = config.adminToken().map(Future::succeededFuture).orElseGet(() -> secrets.get("adminToken")
        .onSuccess(t -> LOG.warn("STREAMCHAT_ADMIN_TOKEN is not set; the service's admin token (kept in Redis) is {}", t)));
    return admin.compose(token -> secrets.key("csrf").map(key -> new Shared(Optional.of(token), key)));
  }

  /** Who is admin: admin sessions and the count of wrong tokens are the service's when instances share Redis. */
  private AdminAccess adminAccess(Shared shared) {
    int attempts = config.faults().adminAttemptsPerMinute();
    if (redis == null) return AdminAccess.from(shared.adminToken(), attempts);
    RedisKeys keys = new RedisKeys(config.cluster().get().prefix());
    return AdminAccess.from(shared.adminToken(), attempts, new RedisAdminSessions(redis, keys),
        new RedisAdminGuesses(redis, keys));
  }

  /**
   * The limits: the message window is the service's when instances share Redis; admission by
   * pressure is this instance's (it measures its own event loops and journal).
   */
  private Quotas quotas(Generations generations) {
    Pressure pressure = Pressure.of(vertx).start();
    Admission admission = new Admission(config.admit(), pressure::reading);
    telemetry.pressure(pressure, admission);
    // Readings between requests too, so the change back to admitting is logged when it happens.
    vertx.setPeriodic(250, t -> admission.update());
    LOG.info("admission: new answers refused past {} ms of event-loop delay or {} KiB pending "
        + "(STREAMCHAT_ADMIT_MAX_LOOP_DELAY_MS, STREAMCHAT_ADMIT_MAX_PENDING_KB)",
        config.admit().maxLoopDelayMs(), config.admit().maxPendingBytes() / 1024);
    if (redis == null) return new Quotas(config.limits(), generations, admission);
    return new Quotas(config.limits(), generations,
        new RedisMessageWindow(redis, new RedisKeys(config.cluster().get().prefix())), admission);
  }

  private Future<?> deploy(ModelRegistry models) {
    return shared().compose(shared -> deploy(models, shared));
  }

  private Future<?> deploy(ModelRegistry models, Shared shared) {
    Generations local = new BusGenerations(vertx, streams);
    Generations generations = local;
    if (redis != null) {
      generations = new ClusterGenerations(vertx, local, redisStore, redis,
          new RedisKeys(config.cluster().get().prefix()));
    }
    Feeds.install(vertx, streams);
    FilterSettings filters = config.filters();
    filterMetrics = new FilterMetrics(telemetry.registry());
    // Between the meter and the journal, in this order: redaction (synchronous), moderation (holds
    // text until judged), the JSON check (sees only what will be stored).
    List<PipelineStage> stages = new ArrayList<>();
    stages.add(new RedactionStage(filters.rules(), filters.holdChars(), filterMetrics));
    MessageCheck messageCheck = MessageCheck.NONE;
    if (filters.moderationUrl().isPresent()) {
      ModerationClient moderation = new ModerationClient(vertx, filters.moderationUrl().get(),
          filters.moderationApiKey().orElse(null), filters.moderationTimeoutMs(), filterMetrics);
      stages.add(new ModerationStage(vertx, moderation, filters.moderationWindowChars(), filterMetrics));
      messageCheck = new MessageModeration(moderation, filterMetrics);
    }
    stages.add(new JsonStage());
    LOG.info("answer filters: {} rule(s), hold {} chars, moderation {}", filters.rules().size(), filters.holdChars(),
        filters.moderationUrl().isPresent() ? "on" : "off");
    ChatService service = new ChatService(chats, generations, models,
        config.maxMessageChars(), config.maxAnswerTokens(),
        new HistoryWindow(config.systemPrompt(), config.historyChars()), quotas(generations),
        new StorageLimits(config.maxConversations(), config.maxMessagesPerConversation(), config.maxStoredBytes(),
            disk),
        messageCheck);
    accounts = new Accounts(vertx, accountStore, config.auth(), service, streams);
    LOG.info("sign-in: STREAMCHAT_AUTH={}, STREAMCHAT_SIGNUP={}", config.auth().modeName(),
        config.auth().signup().name().toLowerCase(Locale.ROOT));
    Viewers viewers = new Viewers(telemetry.registry());
    viewers.install(vertx);
    endedGenerations = new EndedGenerations(viewers);
    Operations ops = new Operations(adminAccess(shared), service, streams, viewers, endedGenerations,
        live == null ? new Health(chats, streams, disk) : new Health(chats, streams, disk, live::ready),
        telemetry.registry(), filterMetrics);
    // One worker owns every generation; their I/O runs on one lane per event loop, paced by the
    // journal writer (which pauses a model's stream while the journal is behind). A web verticle
    // per event loop too: every loop serves HTTP and carries generations.
    int loops = config.eventLoops();
    worker = new GenerationWorker(streams, models, config.maxAnswerTokens(), config.maxAnswerBytes(), stages, loops,
        this::ended);
    return accounts.start().compose(v -> vertx.deployVerticle(worker,
            new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)))
        // Now generations can run here: those of instances that stopped (and this one's last process) go on here.
        .compose(id -> redisStore == null ? Future.succeededFuture(id)
            : redisStore.takeOrphans(new Takeovers(vertx, redisStore, local, this::ended)).map(id))
        .compose(id -> vertx.deployVerticle(() -> {
          WebVerticle web = new WebVerticle(config, service, ops, accounts, shared.csrfKey());
          firstWeb.compareAndSet(null, web);
          return web;
        }, new DeploymentOptions().setInstances(loops)));
  }

  /** The port the HTTP server listens on. */
  public int port() {
    return firstWeb.get().actualPort();
  }

  /** The web routes, in order. */
  public List<io.vertx.ext.web.Route> routes() {
    return firstWeb.get().routes();
  }

  @Override
  public Future<?> stop() {
    // One of a service leaves its running answers to the others (text so far stored) before its
    // lease goes with the store; alone, the worker's own stop has ended them interrupted.
    Future<?> handedOver = redisStore == null || worker == null ? Future.succeededFuture() : worker.handOver();
    // The model goes first: its generation thread may still be writing to the stream store.
    Future<?> model = handedOver.eventually(() -> gguf == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
      gguf.close();
      return null;
    }));
    return model.eventually(() -> live == null ? Future.succeededFuture() : live.close())
        .eventually(() -> streams == null ? Future.succeededFuture() : streams.close())
        .eventually(() -> accounts == null ? Future.succeededFuture() : accounts.close())
        .eventually(() -> chats == null ? Future.succeededFuture() : chats.close());
  }
}
