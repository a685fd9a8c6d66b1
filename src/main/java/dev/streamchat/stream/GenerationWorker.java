package dev.streamchat.stream;

import dev.streamchat.model.ChatMessage;
import dev.streamchat.model.ModelRegistry;
import dev.streamchat.model.ModelRequest;
import dev.streamchat.model.StreamHandle;
import dev.streamchat.model.StreamListener;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes generation requests from the event bus, streams each from its model into the stream log,
 * and publishes every chunk (after it is in the log) and the end to the generation's viewers.
 * Deployed as a worker verticle: nothing here runs on an event loop.
 */
public final class GenerationWorker extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(GenerationWorker.class);

  /** Failure code of a start request naming a model nobody serves. */
  public static final int UNKNOWN_MODEL = 400;

  private final StreamStore store;
  private final ModelRegistry models;
  private final Consumer<GenerationLog> onEnded;
  private final Map<String, Running> running = new ConcurrentHashMap<>();

  /** {@code onEnded} gets every log once it has ended, to keep the answer with its conversation. */
  public GenerationWorker(StreamStore store, ModelRegistry models, Consumer<GenerationLog> onEnded) {
    this.store = store;
    this.models = models;
    this.onEnded = onEnded;
  }

  /** The body of a start request. */
  public static JsonObject startRequest(GenerationInfo info, int maxTokens, List<ChatMessage> history) {
    return startRequest(info, maxTokens, history, "");
  }

  /**
   * The body of a start request whose log begins with {@code prefix}, the text an earlier
   * generation of the same answer had written (Continue): the model writes what follows it.
   */
  public static JsonObject startRequest(GenerationInfo info, int maxTokens, List<ChatMessage> history,
      String prefix) {
    JsonArray messages = new JsonArray();
    history.forEach(m -> messages.add(new JsonObject().put("role", m.role()).put("content", m.content())));
    return new JsonObject().put("id", info.id()).put("conversationId", info.conversationId())
        .put("owner", info.owner()).put("model", info.model()).put("startedAt", info.startedAt())
        .put("maxTokens", maxTokens).put("messages", messages).put("prefix", prefix);
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<JsonObject>consumer(Addresses.START, this::onStart).completion();
  }

  @Override
  public Future<?> stop() {
    running.values().forEach(r -> r.end(GenerationState.INTERRUPTED,
        "The server was shut down while this answer was being written."));
    return Future.succeededFuture();
  }

  private void onStart(Message<JsonObject> msg) {
    JsonObject req = msg.body();
    String modelId = req.getString("model");
    var resolved = models.resolve(modelId);
    if (resolved.isEmpty()) {
      msg.fail(UNKNOWN_MODEL, "unknown model: " + modelId);
      return;
    }
    GenerationInfo info = new GenerationInfo(req.getString("id"), req.getString("conversationId"),
        req.getString("owner"), modelId, req.getLong("startedAt"));
    List<ChatMessage> history = new ArrayList<>();
    req.getJsonArray("messages").forEach(o -> {
      JsonObject m = (JsonObject) o;
      history.add(new ChatMessage(m.getString("role"), m.getString("content")));
    });
    GenerationLog log;
    try {
      log = store.start(info);
    } catch (RuntimeException e) {
      LOG.error("generation {}: cannot open its stream log", info.id(), e);
      msg.fail(500, "cannot store the answer");
      return;
    }
    String prefix = req.getString("prefix", "");
    if (!prefix.isEmpty()) log.append(Chunk.Kind.TEXT, prefix);
    Running run = new Running(log);
    running.put(info.id(), run);
    run.stopConsumer = vertx.eventBus().consumer(Addresses.stop(info.id()), stop -> {
      run.end(GenerationState.STOPPED, null);
      stop.reply(new JsonObject().put("state", log.state().wire()));
    });
    LOG.info("generation {} started: model {}, conversation {}", info.id(), modelId, info.conversationId());
    ModelRequest request = new ModelRequest(resolved.get().model().upstreamName(), history,
        req.getInteger("maxTokens", 0));
    try {
      run.handle = resolved.get().provider().stream(request, run);
    } catch (RuntimeException e) {
      LOG.error("generation {}: provider failed to start", info.id(), e);
      run.onFailure(dev.streamchat.model.Failure.of(dev.streamchat.model.Failure.Kind.INTERNAL, "The model could not be started."));
    }
    msg.reply(new JsonObject().put("id", info.id()));
  }

  /** One generation in progress: the model's listener, and the way to stop it. */
  private final class Running implements StreamListener {
    private final GenerationLog log;
    private final EventBus bus = vertx.eventBus();
    private final String address;
    private volatile StreamHandle handle;
    private volatile MessageConsumer<Object> stopConsumer;

    Running(GenerationLog log) {
      this.log = log;
      this.address = Addresses.events(log.id());
    }

    @Override
    public void onText(String text) {
      publish(log.append(Chunk.Kind.TEXT, text));
    }

    @Override
    public void onReasoning(String text) {
      publish(log.append(Chunk.Kind.REASONING, text));
    }

    private void publish(Chunk chunk) {
      if (chunk != null) bus.publish(address, LiveEvent.chunk(chunk));
    }

    @Override
    public void onComplete(dev.streamchat.model.FinishReason reason, dev.streamchat.model.Usage usage) {
      log.usage(usage.promptTokens(), usage.completionTokens());
      end(GenerationState.DONE, null);
    }

    @Override
    public void onFailure(dev.streamchat.model.Failure failure) {
      end(GenerationState.FAILED, failure.message());
    }

    void end(GenerationState state, String error) {
      if (state != GenerationState.DONE && state != GenerationState.FAILED && handle != null) {
        handle.cancel();
      }
      if (!log.finish(state, error)) return;
      running.remove(log.id());
      if (stopConsumer != null) stopConsumer.unregister();
      bus.publish(address, LiveEvent.end(log));
      LOG.info("generation {} {}: {} chunks, ttft {} ms{}", log.id(), state.wire(), log.lastSeq(),
          log.ttftMs(), error == null ? "" : ", error: " + error);
      onEnded.accept(log);
    }
  }
}
