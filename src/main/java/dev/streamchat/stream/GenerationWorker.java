package dev.streamchat.stream;

import dev.streamchat.model.Failure;
import dev.streamchat.model.ModelRegistry;
import dev.streamchat.model.ModelRequest;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a generation is started, stopped and owned: takes {@link GenerationRequest}s from the
 * event bus, assembles each one's {@link Pipeline} and streams its model into it. Deployed as a
 * worker verticle; each generation's I/O (its model's HTTP stream, parsing, the pipeline) runs on
 * one of {@code lanes} event-loop contexts: the one on the event loop the start was asked from,
 * else the next in turn, so every event loop carries some.
 * Nothing there blocks: the journal is written off the loop, and the journal writer pauses the
 * model's stream while the journal is behind.
 *
 * <p>A request with a {@link GenerationRequest.Resume} carries on a generation taken over from an
 * instance that stopped: its log is taken up where it stands. When the worker stops, an instance
 * of a service hands its running generations over (another instance continues them); alone, it
 * ends them interrupted.
 */
public final class GenerationWorker extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(GenerationWorker.class);

  /** Failure code of a start request naming a model nobody serves. */
  static final int UNKNOWN_MODEL = 400;
  /** Why a start request is refused while the worker stops. */
  public static final String SHUTTING_DOWN = "The server is shutting down; please send again.";
  /** Failure code of a start request whose log could not be opened. */
  static final int NOT_STORED = 503;

  private final StreamStore store;
  private final ModelRegistry models;
  private final Pipeline.Bounds bounds;
  private final List<PipelineStage> stages;
  private final Consumer<GenerationStatus> onEnded;
  private final Map<String, JournalWriter> running = new ConcurrentHashMap<>();
  private final int laneCount;
  private final List<Context> lanes = new CopyOnWriteArrayList<>();
  /** A lane by the position of its event loop (the first, should two share one). */
  private final Map<Integer, Context> laneOnLoop = new ConcurrentHashMap<>();
  private final AtomicInteger nextLane = new AtomicInteger();
  private volatile boolean stopping;
  private Future<?> handedOver;

  /**
   * {@code maxTokens} and {@code maxAnswerBytes} bound every answer; {@code stages} sit between
   * the meter and the journal; {@code onEnded} gets every generation's final status; generations
   * run on {@code lanes} event-loop contexts.
   */
  public GenerationWorker(StreamStore store, ModelRegistry models, int maxTokens, long maxAnswerBytes,
      List<PipelineStage> stages, int lanes, Consumer<GenerationStatus> onEnded) {
    this.laneCount = Math.max(1, lanes);
    this.store = store;
    this.models = models;
    this.bounds = new Pipeline.Bounds(maxTokens, maxAnswerBytes);
    this.stages = List.copyOf(stages);
    this.onEnded = onEnded;
  }

  @Override
  public Future<?> start() {
    LocalCodecs.register(vertx);
    return vertx.deployVerticle(Lane::new, new DeploymentOptions().setInstances(laneCount))
        .compose(id -> vertx.eventBus().<GenerationRequest>consumer(Addresses.START, this::onStart).completion());
  }

  @Override
  public Future<?> stop() {
    if (store.handsOver()) return handOver();
    stopping = true;
    List<Future<GenerationStatus>> ends = new ArrayList<>();
    for (JournalWriter w : running.values()) {
      w.stop(GenerationState.INTERRUPTED, "The server was shut down while this answer was being written.");
      ends.add(w.ended());
    }
    return Future.join(ends);
  }

  /**
   * Takes no new generation and leaves each running one to another instance of the service, once
   * its text so far is in the store. Called at shutdown (once; later calls get the same future).
   */
  public synchronized Future<?> handOver() {
    if (handedOver != null) return handedOver;
    stopping = true;
    List<Future<Void>> left = new ArrayList<>();
    running.forEach((id, w) -> left.add(w.handOver().compose(handed -> {
      if (!handed) return Future.succeededFuture();
      running.remove(id);
      LOG.info("generation {} handed over: its text so far is stored; another instance continues it", id);
      return store.handOver(id);
    })));
    handedOver = Future.join(left);
    return handedOver;
  }

  private void onStart(Message<GenerationRequest> msg) {
    GenerationRequest req = msg.body();
    GenerationInfo info = req.info();
    if (stopping) {
      msg.fail(NOT_STORED, SHUTTING_DOWN);
      return;
    }
    var resolved = models.resolve(info.model());
    if (resolved.isEmpty()) {
      msg.fail(UNKNOWN_MODEL, "unknown model: " + info.model());
      return;
    }
    Future<Void> opened = req.resume() == null ? store.start(info) : store.resume(info.id());
    opened.onComplete(started -> {
      if (started.failed()) {
        LOG.error("generation {}: cannot open its stream log: {}", info.id(), started.cause().toString());
        msg.fail(NOT_STORED, JournalWriter.diskFull(started.cause()) ? JournalWriter.DISK_FULL : JournalWriter.NOT_STORED);
        return;
      }
      Context lane = laneFor(msg.headers().get(Addresses.START_NEAR_LOOP));
      Pipeline pipeline = Pipeline.assemble(req, lane, store, stages, bounds);
      JournalWriter writer = pipeline.writer();
      running.put(info.id(), writer);
      MessageConsumer<Object> stops = vertx.eventBus().consumer(Addresses.stop(info.id()), stop -> {
        writer.stop(GenerationState.STOPPED, null);
        writer.ended().onSuccess(status -> stop.reply(status.state().wire()));
      });
      writer.ended().onSuccess(status -> {
        running.remove(info.id());
        stops.unregister();
        LOG.info("generation {} {}: {} chunks, ttft {} ms{}", info.id(), status.state().wire(), status.lastSeq(),
            status.ttftMs(), status.error() == null ? "" : ", error: " + status.error());
        onEnded.accept(status);
      });
      if (req.resume() == null) {
        LOG.info("generation {} started: model {}, conversation {}", info.id(), info.model(), info.conversationId());
      } else {
        LOG.info("generation {} taken over: continues after chunk {}, model {}", info.id(), req.resume().afterSeq(),
            info.model());
      }
      ModelRequest request = new ModelRequest(resolved.get().model().upstreamName(), req.messages(), req.maxTokens(),
          info.responseFormat());
      lane.runOnContext(v -> {
        if (!req.prefix().isEmpty()) pipeline.head().onText(req.prefix());
        try {
          pipeline.upstream(resolved.get().provider().stream(request, pipeline.head()));
        } catch (RuntimeException e) {
          LOG.error("generation {}: provider failed to start", info.id(), e);
          pipeline.head().onFailure(Failure.of(Failure.Kind.INTERNAL, "The model could not be started."));
        }
      });
      msg.reply(info.id());
    });
  }

  /** The lane on the loop the request came from, if there is one; else the next in turn. */
  private Context laneFor(String nearLoop) {
    Context near = nearLoop == null ? null : laneOnLoop.get(Integer.parseInt(nearLoop));
    return near != null ? near : lanes.get(Math.floorMod(nextLane.getAndIncrement(), lanes.size()));
  }

  /** An event-loop context that generations run on; it only lends its context. */
  private final class Lane extends VerticleBase {
    @Override
    public Future<?> start() {
      lanes.add(context);
      laneOnLoop.putIfAbsent(EventLoops.indexOf(vertx, context), context);
      return Future.succeededFuture();
    }
  }
}
