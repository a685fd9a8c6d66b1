package dev.streamchat.stream;

import dev.streamchat.model.Failure;
import dev.streamchat.model.ModelRegistry;
import dev.streamchat.model.ModelRequest;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a generation is started, stopped and owned: takes {@link GenerationRequest}s from the
 * event bus, assembles each one's {@link Pipeline} and streams its model into it. Deployed as a
 * worker verticle: nothing here runs on an event loop.
 */
public final class GenerationWorker extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(GenerationWorker.class);

  /** Failure code of a start request naming a model nobody serves. */
  static final int UNKNOWN_MODEL = 400;
  /** Failure code of a start request whose log could not be opened. */
  static final int NOT_STORED = 503;

  private final StreamStore store;
  private final ModelRegistry models;
  private final Pipeline.Bounds bounds;
  private final List<PipelineStage> stages;
  private final Consumer<GenerationStatus> onEnded;
  private final Map<String, JournalWriter> running = new ConcurrentHashMap<>();

  /**
   * {@code maxTokens} and {@code maxAnswerBytes} bound every answer; {@code stages} sit between
   * the meter and the journal; {@code onEnded} gets every generation's final status.
   */
  public GenerationWorker(StreamStore store, ModelRegistry models, int maxTokens, long maxAnswerBytes,
      List<PipelineStage> stages, Consumer<GenerationStatus> onEnded) {
    this.store = store;
    this.models = models;
    this.bounds = new Pipeline.Bounds(maxTokens, maxAnswerBytes);
    this.stages = List.copyOf(stages);
    this.onEnded = onEnded;
  }

  @Override
  public Future<?> start() {
    LocalCodecs.register(vertx);
    return vertx.eventBus().<GenerationRequest>consumer(Addresses.START, this::onStart).completion();
  }

  @Override
  public Future<?> stop() {
    List<Future<GenerationStatus>> ends = new ArrayList<>();
    for (JournalWriter w : running.values()) {
      w.stop(GenerationState.INTERRUPTED, "The server was shut down while this answer was being written.");
      ends.add(w.ended());
    }
    return Future.join(ends);
  }

  private void onStart(Message<GenerationRequest> msg) {
    GenerationRequest req = msg.body();
    GenerationInfo info = req.info();
    var resolved = models.resolve(info.model());
    if (resolved.isEmpty()) {
      msg.fail(UNKNOWN_MODEL, "unknown model: " + info.model());
      return;
    }
    store.start(info).onComplete(started -> {
      if (started.failed()) {
        LOG.error("generation {}: cannot open its stream log: {}", info.id(), started.cause().toString());
        msg.fail(NOT_STORED, JournalWriter.diskFull(started.cause()) ? JournalWriter.DISK_FULL : JournalWriter.NOT_STORED);
        return;
      }
      Pipeline pipeline = Pipeline.assemble(req, context, store, stages, bounds);
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
      LOG.info("generation {} started: model {}, conversation {}", info.id(), info.model(), info.conversationId());
      if (!req.prefix().isEmpty()) pipeline.head().onText(req.prefix());
      ModelRequest request = new ModelRequest(resolved.get().model().upstreamName(), req.messages(), req.maxTokens());
      try {
        pipeline.upstream(resolved.get().provider().stream(request, pipeline.head()));
      } catch (RuntimeException e) {
        LOG.error("generation {}: provider failed to start", info.id(), e);
        pipeline.head().onFailure(Failure.of(Failure.Kind.INTERNAL, "The model could not be started."));
      }
      msg.reply(info.id());
    });
  }
}
